import numpy as np

from cosmos3_eval.sim.push_world import PushWorld


def test_restore_continues_bit_identically_whatever_ran_between():
    w = PushWorld(image_size=32)
    acts = np.random.default_rng(0).uniform(-1, 1, (12, 2))
    start = w.reset(7)
    first = w.replay(start, acts[:6])
    ref = w.replay(first.end, acts[6:])
    w.reset(8)
    w.replay(w.reset(9), acts)  # unrelated episodes in between
    again = w.replay(first.end, acts[6:])
    assert np.array_equal(ref.positions, again.positions)
    assert np.array_equal(ref.frames, again.frames)
    w.close()


def test_replay_freezes_after_success_and_twin_differs_slightly():
    w = PushWorld(image_size=32)
    start = w.reset(3)
    acts = w.expert_actions(start, 40)
    r = w.replay(start, acts, frame_every=2)
    assert r.success and r.steps < 40 and r.frames.shape == (20, 32, 32, 3)
    assert np.array_equal(r.positions[-1], r.positions[r.steps - 1])  # frozen
    twin = w.replay(w.perturbed(start, 3, 1e-3), acts)
    d = np.abs(twin.positions[0] - r.positions[0]).max()
    assert 0 < d < 0.01
    w.close()
