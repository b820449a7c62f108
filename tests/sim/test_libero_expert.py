"""The LIBERO oracle's grasp planning (pure geometry: runs without the LIBERO sim env)."""

import numpy as np

from cosmos3_eval.sim.envs.libero_expert import Extent, grasp_height, plan_grasp, yaw_to


def _box(x: float, y: float, short: float, long: float, top: float, axis=(0.0, 1.0)) -> Extent:
    return Extent(
        center=np.array([x, y, top / 2]),
        bottom=0.0,
        top=top,
        short_axis=np.array(axis),
        short=short,
        long=long,
    )


def test_yaw_turns_fingers_onto_the_short_side_within_90_degrees():
    assert yaw_to(np.array([0.0, 1.0]), np.array([0.0, -1.0])) == 0.0  # the gripper is symmetric
    assert np.isclose(yaw_to(np.array([0.0, 1.0]), np.array([1.0, 0.0])), -np.pi / 2)
    assert np.isclose(yaw_to(np.array([1.0, 0.0]), np.array([1.0, 1.0]) / np.sqrt(2)), np.pi / 4)


def test_grasp_height_low_for_flat_objects_below_the_top_for_tall_ones():
    flat, tall = _box(0, 0, 0.043, 0.081, 0.018), _box(0, 0, 0.036, 0.053, 0.146)
    assert 0.015 <= grasp_height(flat, 0.0) <= 0.018  # fingertips just above the table
    assert np.isclose(grasp_height(tall, 0.0), 0.106)


def test_oblong_grasp_slides_away_from_a_neighbour_and_keeps_the_short_axis():
    box = _box(0.0, 0.0, 0.043, 0.081, 0.018)  # fingers must close along y
    free_yaw, free_point = plan_grasp(box, np.array([0.0, 1.0, 0.0]), [])
    assert free_yaw == 0.0 and np.allclose(free_point, 0.0)
    can = np.array([[0.06, -0.17], [0.12, -0.17], [0.06, -0.11], [0.12, -0.11]])
    yaw, point = plan_grasp(box, np.array([0.0, 1.0, 0.0]), [can])
    assert yaw == 0.0 and point[0] < -0.01 and point[1] == 0.0  # slid along x, away from it


def test_round_object_yaw_turns_the_hand_away_from_a_neighbour():
    can = _box(0.0, 0.0, 0.063, 0.063, 0.076)
    bottle = np.array([[-0.03, 0.07], [0.03, 0.07], [-0.03, 0.13], [0.03, 0.13]])  # 10 cm at +y
    yaw, _ = plan_grasp(can, np.array([0.0, 1.0, 0.0]), [bottle])
    axis = np.array([-np.sin(yaw), np.cos(yaw)])  # the closing axis after the yaw
    assert abs(axis[1]) < 0.5  # the long hand no longer reaches over the bottle


def test_bowl_wider_than_the_gripper_is_pinched_at_its_rim():
    bowl = Extent(
        center=np.array([0.0, 0.0, 0.925]),
        bottom=0.90,
        top=0.95,
        short_axis=np.array([1.0, 0.0]),
        short=0.107,
        long=0.108,
    )
    yaw, point = plan_grasp(bowl, np.array([0.0, 1.0, 0.0]), [])
    axis = np.array([-np.sin(yaw), np.cos(yaw)])
    assert np.isclose(abs(point @ axis), 0.107 / 2 - 0.012)  # on the wall, along the closing axis
    assert np.isclose(grasp_height(bowl, 0.90), 0.935)  # just below the rim
