import numpy as np
import pytest

from cosmos3_eval.scorers import video as vm
from cosmos3_eval.sim.scenes.physics import (
    SCENARIO_KINDS,
    ScenarioSimulator,
    make_scenario,
)


@pytest.fixture(scope="module")
def sim():
    s = ScenarioSimulator(64, 64)
    yield s
    s.close()


def test_at_least_seven_kinds():
    assert len(SCENARIO_KINDS) >= 7


@pytest.mark.parametrize("kind", SCENARIO_KINDS)
def test_scenario_renders_objects_that_move(sim, kind):
    sc = make_scenario(kind, 7)
    roll = sim.simulate(sc, 8, 15.0)
    assert roll.frames.shape == (8, 64, 64, 3) and roll.frames.dtype == np.uint8
    assert roll.labels.shape == (8, 64, 64)
    # Every object is visible in the first frame via segmentation rendering.
    present = set(np.unique(roll.labels[0])) - {0}
    assert present == set(range(1, len(sc.objects) + 1))
    # Something moves, and the prompt does not give away the outcome.
    assert vm.motion_masks(roll.frames).any()
    assert not any(w in sc.prompt.lower() for w in ("fall off", "topple", "bounce", "collide"))
    # Colour masks find the objects where segmentation says they are.
    cm = vm.color_masks(roll.frames[:1], [o.hue for o in sc.objects])[0]
    for i in range(len(sc.objects)):
        seg = roll.labels[0] == i + 1
        inter = np.count_nonzero(cm[i] & seg)
        assert inter >= 0.8 * np.count_nonzero(seg), (kind, i)


def test_same_seed_same_rollout_and_twin_differs_only_slightly(sim):
    a = sim.simulate(make_scenario("free_fall", 3), 8, 15.0)
    sim.simulate(make_scenario("collision", 4), 8, 15.0)  # something else in between
    b = sim.simulate(make_scenario("free_fall", 3), 8, 15.0)
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.labels, b.labels)
    twin = sim.simulate(make_scenario("free_fall", 3), 8, 15.0, perturb=True)
    assert np.abs(twin.frames.astype(int) - a.frames).mean() < 1.0
    assert make_scenario("free_fall", 3) != make_scenario("free_fall", 4)


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown scenario kind"):
        make_scenario("levitation", 0)


def test_palette_hues_are_separated():
    from cosmos3_eval.sim.scenes.palette import PHYSICS_PALETTE as PALETTE
    from cosmos3_eval.sim.scenes.palette import hue_of

    hues = sorted(hue_of(c) for c in PALETTE.values())
    gaps = np.diff(hues + [hues[0] + 360])
    assert gaps.min() > 2 * vm.HUE_TOLERANCE
