import dataclasses

import numpy as np
import pytest

from cosmos3_eval.benchmarks.world import RobotPredict, RobotPredictConfig
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.models import world_baselines as wb
from cosmos3_eval.scorers.aggregate import aggregate

TASK = "robot-predict-v1"
MODELS = ["oracle", "action-shift", "static", "random"]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    # Small: robosuite steps at ~100/s here; 8 frames give the arm room to move.
    cfg = RobotPredictConfig(width=64, height=64, num_frames=8, scoring="v1")
    b = RobotPredict(TASK, cfg, tmp_path_factory.mktemp("wb"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def records(bench):
    """Per-model score records on 6 samples (seeds unrelated to the calibration seeds)."""
    recs = {n: [] for n in MODELS}
    models = {n: create_model(n) for n in MODELS}
    for i in range(6):
        s = bench.sample(i, 5000 + i)
        for name, m in models.items():
            req = bench.request(s, privileged=m.info.privileged)
            assert m.info.privileged or req.privileged is None
            sc = bench.score(s, req, m.generate_videos([req])[0]).scores
            recs[name].append({"scores": {k: v.value for k, v in sc.items()}, "error": None})
    return recs


def test_ordering_with_separated_cis(bench, records):
    agg = {n: aggregate(bench.metric_specs, r)["physics_score"] for n, r in records.items()}
    for better, worse in zip(MODELS, MODELS[1:]):
        assert agg[better].ci95[0] > agg[worse].ci95[1], (better, worse, agg)


def test_prediction_is_action_conditioned(bench, records):
    # The same frames with wrong (negated) actions must score clearly worse.
    m = create_model("action-shift")
    for i, rec in enumerate(records["action-shift"]):
        s = bench.sample(i, 5000 + i)
        req = bench.request(s, privileged=False)
        flipped = req.actions.copy()
        flipped[:, :3] *= -1
        bad = dataclasses.replace(req, actions=flipped)
        wrong = bench.score(s, bad, m.generate_videos([bad])[0]).scores["physics_score"].value
        assert wrong < rec["scores"]["physics_score"] - 5


def test_camera_constants_match_the_simulator(bench):
    bench.truth(bench.sample(0, 5000))  # builds the env
    m = bench._env.sim.model
    cid = m.camera_name2id("agentview")
    assert np.allclose(m.cam_pos[cid], wb.CAMERA_POS)
    assert np.allclose(m.cam_quat[cid], wb.CAMERA_QUAT)
    assert m.cam_fovy[cid] == wb.CAMERA_FOVY_DEG


def test_projection_tracks_the_true_end_effector(bench):
    # The model's projected path must follow the simulated gripper's image motion.
    env = bench._env
    seed = 5001
    s = bench.sample(1, seed)
    req = bench.request(s, privileged=False)
    bench._reset(seed)
    site = env.robots[0].eef_site_id["right"]
    true = [env.sim.data.site_xpos[site].copy()]
    for a in req.actions:
        for _ in range(bench.config.frame_every):
            env.step(a)
        true.append(env.sim.data.site_xpos[site].copy())
    w = h = 64
    pt = wb.project(np.stack(true), w, h)
    pm = wb.project(wb.eef_path(req.actions, bench.config.frame_every), w, h)
    moved = np.abs(pt[-1] - pt[0]).max()
    assert moved > 3  # the test is meaningful: the gripper moves several pixels
    assert np.abs((pt - pt[0]) - (pm - pm[0])).max() < 0.15 * moved


def test_robot_mask_finds_the_hand_and_leaves_the_mount(bench):
    # Ground truth from MuJoCo's segmentation rendering of the same camera and state.
    from cosmos3_eval.sim.render import import_mujoco

    mujoco = import_mujoco()
    env = bench._env
    # Seed 7's hand has a shaded edge as grey as the wall: the fingers must stay attached.
    for seed in (5000, 7):
        bench._reset(seed)
        frame = bench._frame()
        model, data = env.sim.model._model, env.sim.data._data
        renderer = mujoco.Renderer(model, height=64, width=64)
        try:
            renderer.enable_segmentation_rendering()
            renderer.update_scene(data, camera="agentview", scene_option=bench._scene_option)
            geom = renderer.render()[..., 0]
        finally:
            renderer.close()
        body = [
            mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, b) or "" for b in model.geom_bodyid
        ]
        seen = geom >= 0
        names = np.array(body, dtype=object)[np.where(seen, geom, 0)]
        hand = seen & np.vectorize(lambda n: n.startswith("gripper0"))(names)
        mount = seen & np.vectorize(lambda n: n.startswith("fixed_mount"))(names)
        assert hand.sum() > 50 and mount.sum() > 50  # both are in view at the start pose
        mask, _ = wb.robot_mask(frame)
        assert mask[hand].mean() > 0.85, mask[hand].mean()
        assert mask[mount].mean() < 0.2, mask[mount].mean()
        assert (mask & ~hand).sum() < 0.2 * mask.sum()


def test_deterministic_and_batch_independent(bench):
    reqs = [bench.request(bench.sample(i, 5000 + i), privileged=False) for i in range(3)]
    m = create_model("action-shift")
    batch = [o.video for o in m.generate_videos(reqs)]
    single = [m.generate_videos([r])[0].video for r in reqs]
    again = [o.video for o in create_model("action-shift").generate_videos(reqs[::-1])][::-1]
    for a, b, c in zip(batch, single, again):
        assert np.array_equal(a, b) and np.array_equal(a, c)
        assert a.dtype == np.uint8 and a.shape == (8, 64, 64, 3)


def test_falls_back_to_static_without_usable_actions(bench):
    req = bench.request(bench.sample(0, 5000), privileged=False)
    m, static = create_model("action-shift"), create_model("static")
    expected = static.generate_videos([req])[0].video
    for change in [
        {"actions": None},
        {"action_format": "cosmos_10d_pose_delta"},
        {"actions": np.zeros_like(req.actions)},
    ]:
        out = m.generate_videos([dataclasses.replace(req, **change)])[0].video
        assert np.array_equal(out, expected), change
    moved = m.generate_videos([req])[0].video
    assert np.array_equal(moved[0], req.frames[0]) and not np.array_equal(moved, expected)


def test_robot_mask_is_the_arm_not_the_cube():
    frame = np.full((32, 32, 3), 230, np.uint8)
    frame[:8, 10:20] = (20, 20, 120)  # arm, touching the top border
    frame[20:23, 14:17] = (200, 40, 60)  # cube on the table
    frame[6:10, 2:6] = (25, 25, 25)  # black mount, seen below the hand: fixed
    frame[:6, 2:6] = (20, 20, 120)  # the arm reaches the mount through these pixels
    mask, _ = wb.robot_mask(frame)
    expected = np.zeros((32, 32), bool)
    expected[:8, 10:20] = True
    expected[:6, 2:6] = True
    assert np.array_equal(mask, expected)
    video = wb.shift_robot(frame, np.array([[0.0, 0.0], [0.0, 2.0]]))
    assert np.array_equal(video[0], frame)
    assert np.array_equal(video[1][2:10, 10:20], frame[:8, 10:20])  # moved down 2 rows
    assert np.array_equal(video[1][20:23, 14:17], frame[20:23, 14:17])  # cube untouched
