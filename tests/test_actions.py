import numpy as np
import pytest

from cosmos3_eval.api.actions import (
    COSMOS_10D,
    ROBOSUITE_OSC_7D,
    axis_angle_to_matrix,
    check_action_spec,
    cosmos10d_to_robosuite7d,
    denormalize,
    flip_gripper,
    gripper_01_to_pm1,
    gripper_pm1_to_01,
    matrix_to_axis_angle,
    matrix_to_rot6d,
    normalize,
    robosuite7d_to_cosmos10d,
    rot6d_to_matrix,
)
from cosmos3_eval.errors import ActionSpaceMismatch

RX90 = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], float)
RY90 = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], float)
RZ90 = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], float)


def test_identity_rotation():
    np.testing.assert_allclose(axis_angle_to_matrix(np.zeros(3)), np.eye(3))
    np.testing.assert_allclose(matrix_to_rot6d(np.eye(3)), [1, 0, 0, 0, 1, 0])
    np.testing.assert_allclose(matrix_to_axis_angle(np.eye(3)), np.zeros(3), atol=1e-12)


@pytest.mark.parametrize("axis,expected", [(0, RX90), (1, RY90), (2, RZ90)])
def test_90_degrees_about_each_axis(axis, expected):
    aa = np.zeros(3)
    aa[axis] = np.pi / 2
    m = axis_angle_to_matrix(aa)
    np.testing.assert_allclose(m, expected, atol=1e-12)
    # 6-D = first two columns
    np.testing.assert_allclose(
        matrix_to_rot6d(m), np.concatenate([expected[:, 0], expected[:, 1]]), atol=1e-12
    )
    np.testing.assert_allclose(rot6d_to_matrix(matrix_to_rot6d(m)), expected, atol=1e-12)
    np.testing.assert_allclose(matrix_to_axis_angle(m), aa, atol=1e-9)


def test_axis_angle_near_pi_and_batched():
    rng = np.random.default_rng(0)
    axes = rng.normal(size=(50, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    angles = np.concatenate([rng.uniform(0, np.pi - 0.01, 45), np.full(5, np.pi - 1e-5)])
    aa = axes * angles[:, None]
    back = matrix_to_axis_angle(axis_angle_to_matrix(aa))
    np.testing.assert_allclose(axis_angle_to_matrix(back), axis_angle_to_matrix(aa), atol=1e-6)
    np.testing.assert_allclose(back[:45], aa[:45], atol=1e-8)


def test_rot6d_gram_schmidt_and_degenerate():
    noisy = matrix_to_rot6d(RZ90) * 3.0 + np.array([0, 0, 0, 0.3, 0, 0])
    m = rot6d_to_matrix(noisy)
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(m) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="parallel"):
        rot6d_to_matrix(np.array([1, 0, 0, 2, 0, 0.0]))


def test_cosmos_to_robosuite_known_values():
    a10 = np.zeros(10)
    a10[:3] = [0.05, -0.025, 0.0]  # metres
    a10[3:9] = matrix_to_rot6d(axis_angle_to_matrix([0, 0, 0.25]))  # 0.25 rad about z
    a10[9] = 1.0  # close
    a7 = cosmos10d_to_robosuite7d(a10)
    np.testing.assert_allclose(a7, [1.0, -0.5, 0, 0, 0, 0.5, 1.0], atol=1e-6)
    a10[9] = 0.0  # open
    assert cosmos10d_to_robosuite7d(a10)[6] == -1.0
    # saturation is visible, not silent wrap-around
    a10[0] = 1.0
    assert cosmos10d_to_robosuite7d(a10)[0] == 1.0
    assert cosmos10d_to_robosuite7d(a10, clip=False)[0] == pytest.approx(20.0)


def test_random_round_trips():
    rng = np.random.default_rng(1)
    a7 = rng.uniform(-1, 1, (200, 7))
    a7[:, 3:6] *= 0.5  # keep |axis-angle| < pi so the representation is unique
    back = cosmos10d_to_robosuite7d(robosuite7d_to_cosmos10d(a7))
    np.testing.assert_allclose(back, a7, atol=1e-5)
    a10 = robosuite7d_to_cosmos10d(a7)
    np.testing.assert_allclose(
        robosuite7d_to_cosmos10d(cosmos10d_to_robosuite7d(a10)), a10, atol=1e-5
    )


def test_gripper_signs_and_normalisation():
    np.testing.assert_allclose(gripper_01_to_pm1([0, 1, 0.5]), [-1, 1, 0])
    np.testing.assert_allclose(gripper_pm1_to_01([-1, 1]), [0, 1])
    np.testing.assert_allclose(flip_gripper(np.array([[0.1, 0.2, 1.0]])), [[0.1, 0.2, -1.0]])
    x = np.array([0.0, 0.05, 0.1])
    y = normalize(x, 0.0, 0.1)
    np.testing.assert_allclose(y, [-1, 0, 1])
    np.testing.assert_allclose(denormalize(y, 0.0, 0.1), x)
    with pytest.raises(ValueError, match="10"):
        cosmos10d_to_robosuite7d(np.zeros(7))


def test_check_action_spec():
    check_action_spec(ROBOSUITE_OSC_7D, None)  # adapting baseline
    check_action_spec(ROBOSUITE_OSC_7D, ROBOSUITE_OSC_7D)
    from dataclasses import replace

    check_action_spec(ROBOSUITE_OSC_7D, replace(ROBOSUITE_OSC_7D, chunk_size=16))
    flipped = replace(ROBOSUITE_OSC_7D, gripper="+1 open, -1 close")
    with pytest.raises(ActionSpaceMismatch) as e:
        check_action_spec(ROBOSUITE_OSC_7D, flipped, "robosuite-lift-v1", "mypolicy")
    msg = str(e.value)
    assert "\n" not in msg and "mypolicy" in msg and "robosuite-lift-v1" in msg
    assert "gripper" in msg and "+1 open" in msg and "dim" not in msg
    with pytest.raises(ActionSpaceMismatch, match=r"dim: task 7 vs model 10.*rotation"):
        check_action_spec(ROBOSUITE_OSC_7D, COSMOS_10D)
