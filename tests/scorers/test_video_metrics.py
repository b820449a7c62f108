import numpy as np
import pytest

from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.scorers import video as vm
from cosmos3_eval.sim.scenes.palette import hue_of


def _moving_square(t=8, size=32, x0=4, speed=2, color=(230, 30, 25)):
    v = np.full((t, size, size, 3), 200, np.uint8)
    for i in range(t):
        x = x0 + speed * i
        v[i, 10:16, x : x + 6] = color
    return v


def test_identical_videos_are_perfect():
    v = _moving_square()
    piq = vm.physics_iq(v, v)
    assert piq == vm.PhysicsIQ(1.0, 1.0, 1.0, 0.0)
    assert vm.physics_score(piq, piq) == 100.0
    assert vm.psnr(v, v) == vm.PSNR_CAP
    assert vm.ssim(v, v) == pytest.approx(1.0)
    c = vm.centroids(vm.color_masks(v, [hue_of((230 / 255, 30 / 255, 25 / 255))]))
    assert vm.trajectory_error(c, c, 45.0) == 0.0


def test_disjoint_motion_is_worst():
    a = _moving_square(x0=0, speed=1)
    b = np.full_like(a, 200)
    b[:, 24:30] = a[:, 10:16]  # same motion, shifted to rows that never move in ``a``
    piq = vm.physics_iq(a, b)
    assert piq.spatial_iou == 0.0 and piq.spatiotemporal_iou == 0.0
    assert piq.weighted_spatial_iou == 0.0
    assert piq.motion_mse > 0
    assert vm.physics_score(piq, vm.physics_iq(a, a)) < 100 * 0.25 + 1e-9


def test_static_prediction_has_no_motion_but_agrees_elsewhere():
    v = _moving_square()
    static = np.repeat(v[:1], len(v), axis=0)
    piq = vm.physics_iq(v, static)
    assert piq.spatial_iou == 0.0
    assert piq.motion_mse == pytest.approx(vm.motion_masks(v).mean())


def test_motion_threshold_is_documented_value():
    v = np.zeros((2, 4, 4, 3), np.uint8)
    v[1, 0, 0, 1] = vm.MOTION_THRESHOLD  # at the threshold: not moving
    v[1, 1, 1, 2] = vm.MOTION_THRESHOLD + 1
    m = vm.motion_masks(v)
    assert m.sum() == 1 and m[0, 1, 1]


def test_ceiling_normalisation():
    model = vm.PhysicsIQ(0.5, 0.25, 0.5, 0.1)
    assert vm.physics_score(model, vm.PhysicsIQ(1.0, 1.0, 1.0, 0.0)) == pytest.approx(
        100 * (0.5 + 0.25 + 0.5 + 0.9) / 4
    )
    # A model at the twin's level scores 100 even when the twin itself is imperfect.
    assert vm.physics_score(model, model) == 100.0
    assert vm.physics_score_raw(model) == pytest.approx(100 * (0.5 + 0.25 + 0.5 + 0.9) / 4)


def test_trajectory_error_counts_missing_objects():
    t = np.array([[[1.0, 1.0]], [[2.0, 2.0]], [[np.nan, np.nan]]])
    g = np.array([[[4.0, 5.0]], [[np.nan, np.nan]], [[np.nan, np.nan]]])
    assert vm.trajectory_error(t, g, 100.0) == pytest.approx((5.0 + 100.0) / 2)


@pytest.mark.parametrize(
    ("video", "reason"),
    [
        ([[0]], "numpy array"),
        (np.zeros((16, 8, 8, 3), np.float32), "dtype"),
        (np.full((16, 8, 8, 3), np.nan, np.float32), "NaN"),
        (np.zeros((16, 8, 8), np.uint8), "shape"),
        (np.zeros((15, 8, 8, 3), np.uint8), "15 frames"),
        (np.zeros((16, 8, 9, 3), np.uint8), "9x8"),
    ],
)
def test_validate_video_errors(video, reason):
    with pytest.raises(ModelOutputError, match=reason):
        vm.validate_video(video, 16, 8, 8)
