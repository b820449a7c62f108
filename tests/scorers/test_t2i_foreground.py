"""The v2 (foreground) compose-t2i scorer: every object counts, whatever its colour."""

import numpy as np
import pytest

from cosmos3_eval.scorers.t2i import OTHER_COLOUR, T2IScorer
from cosmos3_eval.scorers.t2i_segment import ForegroundSettings
from cosmos3_eval.scorers.t2i_validation import validate_classes
from cosmos3_eval.sim.scenes.render import SceneRenderer
from cosmos3_eval.sim.scenes.t2i import Group, ObjectSpec, SceneSpec, View
from cosmos3_eval.sim.scenes.t2i_adversarial import ADVERSARIAL, STYLES, adversarial_image


@pytest.fixture(scope="module")
def renderer():
    r = SceneRenderer(256, 256)
    yield r
    r.close()


@pytest.fixture(scope="module")
def v1():
    return T2IScorer(256, 256)


@pytest.fixture(scope="module")
def v2():
    return T2IScorer(256, 256, foreground=ForegroundSettings())


def _cube_spec(extra=(), view=None):
    cube = ObjectSpec("cube", "red", -0.15, 0.0, 0.3, 0)
    return SceneSpec("colour", (Group(1, "cube", "red"),), (cube, *extra), view=view or View())


@pytest.mark.parametrize("colour", ["white", "black", "dark grey"])
def test_off_palette_object_is_counted(v1, v2, renderer, colour):
    # Lightest floor, dimmest light: a white block differs from the floor by ~9 levels.
    view = View(camera=0, lighting=1, size=1, background=2)
    spec = _cube_spec(view=view)
    extra = _cube_spec((ObjectSpec("sphere", colour, 0.15, 0.1, 0.0, 0),), view)
    image = renderer.t2i_image(extra)
    assert v1.score(image, spec).ok  # the v1 blind spot this version fixes
    verdict = v2.score(image, spec)
    assert not verdict.ok
    # A shaded sphere as bright as the floor somewhere may split in two: still counted.
    assert "objects, expected 1" in verdict.reason
    assert OTHER_COLOUR in [o.colour for o in verdict.detected]
    assert v2.score(renderer.t2i_image(spec), spec).ok


@pytest.mark.parametrize("seed", [0, 1, 2, 3])  # amplitudes 24, 48, 96 and uniform noise
def test_noise_background_is_not_plain(v2, renderer, seed):
    spec = _cube_spec()
    image = adversarial_image(renderer.t2i_image(spec), "noise_background", seed)
    verdict = v2.score(image, spec)
    assert not verdict.ok and verdict.reason.startswith("background is not plain")


def test_touching_objects_fail(v2, renderer):
    spec = SceneSpec(
        "two_objects",
        (Group(1, "cube"), Group(1, "sphere")),
        (ObjectSpec("cube", "red", 0.0, 0.0, 0.0, 0), ObjectSpec("sphere", "blue", 0.07, 0, 0, 1)),
    )
    verdict = v2.score(renderer.t2i_image(spec), spec)
    assert not verdict.ok and "touch" in verdict.reason


def test_blank_and_noise_images(v2):
    assert v2.score(np.full((256, 256, 3), 200, np.uint8), _cube_spec()).reason.startswith(
        "found 0 red cubes"
    )
    noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    assert v2.score(noise, _cube_spec()).reason.startswith("background is not plain")


def test_every_class_right_on_a_small_set(v2, renderer):
    report = validate_classes(v2, specs_per_skill=1, base_seed=321, renderer=renderer)
    assert {*STYLES, *ADVERSARIAL} <= set(report)
    for c in report.values():
        assert c.n > 0 and c.wrong == 0, (c.name, c.failures)


@pytest.mark.slow
def test_validation_exhaustive_v2(v2, renderer):
    """<= 1 % false accepts per adversarial class, <= 1 % false rejects per style."""
    report = validate_classes(v2, specs_per_skill=40, base_seed=1000, renderer=renderer)
    for c in report.values():
        assert c.error_rate <= 0.01, (c.name, c.wrong, c.n, c.failures)
