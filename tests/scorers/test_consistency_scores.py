import numpy as np

from cosmos3_eval.scorers.consistency import (
    action_mse,
    clip_agreement,
    error_success_correlation,
    mean_agreement,
    state_errors,
)


def moving_square(shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A context frame and 5 frames of a white square moving right by 3 px a frame."""
    frames = np.zeros((6, 48, 48, 3), np.uint8)
    for t in range(6):
        x = 4 + 3 * t + shift * t
        frames[t, 20:30, x : x + 10] = 255
    return frames[0], frames[1:]


def test_identical_clips_agree_fully():
    ctx, real = moving_square()
    a = clip_agreement(ctx, real, real.copy())
    assert a.consistency == 1.0 and a.psnr == 60.0 and a.ssim == 1.0


def test_agreement_falls_with_the_motion_error():
    ctx, real = moving_square()
    near = clip_agreement(ctx, real, moving_square(1)[1]).consistency
    far = clip_agreement(ctx, real, moving_square(4)[1]).consistency
    still = clip_agreement(ctx, real, np.repeat(ctx[None], 5, 0)).consistency
    assert 1.0 > near > far and still < 0.2


def test_moving_only_gives_nothing_for_agreeing_that_nothing_moves():
    ctx = moving_square()[0]
    still = np.repeat(ctx[None], 5, 0)
    assert clip_agreement(ctx, still, still.copy()).consistency == 1.0  # v1: free points
    gated = clip_agreement(ctx, still, still.copy(), moving_only=True)
    assert gated.consistency == 0.0 and gated.moving_frames == 0
    assert gated.spatiotemporal_iou == 0.0 and gated.psnr == 60.0  # pixels still agree
    ctx, real = moving_square()
    moving = clip_agreement(ctx, real, real.copy(), moving_only=True)
    assert moving.consistency == 1.0 and moving.moving_frames == 5


def test_moving_only_leaves_out_frames_where_both_clips_are_still():
    # The square moves for 2 frames, then rests for 13: the real masks die out at the end.
    frames = np.zeros((16, 48, 48, 3), np.uint8)
    for t in range(16):
        x = 4 + 4 * min(t, 2)
        frames[t, 20:30, x : x + 10] = 255
    ctx, real = frames[0], frames[1:]
    pred = np.repeat(ctx[None], 15, 0)  # predicts that nothing moves
    v1 = clip_agreement(ctx, real, pred)
    v2 = clip_agreement(ctx, real, pred, moving_only=True)
    assert 0 < v2.moving_frames < 15
    assert v1.spatiotemporal_iou == 0.4 and v1.consistency > 0.05  # 6 still frames count 1
    assert v2.spatiotemporal_iou == 0.0 and v2.consistency == 0.0


def test_mean_agreement_weights_chunks_by_moving_frames_and_is_0_when_nothing_moves():
    ctx, real = moving_square()
    still = np.repeat(ctx[None], 5, 0)
    moved = clip_agreement(ctx, real, real.copy(), moving_only=True)
    idle = clip_agreement(ctx, still, still.copy(), moving_only=True)
    both = mean_agreement([moved, idle], [5, 5], moving_only=True)
    assert both["consistency"] == 1.0 and both["psnr"] == 60.0
    assert mean_agreement([idle, idle], [5, 5], moving_only=True)["consistency"] == 0.0
    assert mean_agreement([moved, idle], [5, 5])["consistency"] == 0.5  # frame-weighted


def test_state_errors_and_action_mse():
    true = np.zeros((4, 2, 2))
    replay = true.copy()
    replay[-1, 1] = [0.03, 0.04]  # the puck ends 5 cm off
    e = state_errors(true, replay)
    assert np.isclose(e.final, 0.025) and np.isclose(e.trajectory, 0.05 / 8)
    assert action_mse(np.zeros((3, 2)), np.ones((3, 2))) == 1.0


def test_correlation_is_undefined_without_variation_and_signed_otherwise():
    assert error_success_correlation([0.0] * 10, [1.0] * 10, seed=0).value is None
    errors = np.linspace(0, 1, 40)
    c = error_success_correlation(list(errors), list((errors < 0.5).astype(float)), seed=0)
    assert c.value < -0.8 and c.ci95[1] < 0
