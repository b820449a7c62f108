import numpy as np
import pytest

from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.scorers.t2i import T2IScorer, prepare_image
from cosmos3_eval.scorers.t2i_validation import validate_scorer
from cosmos3_eval.sim.scenes.render import SceneRenderer
from cosmos3_eval.sim.scenes.t2i import (
    Group,
    ObjectSpec,
    Relation,
    SceneSpec,
    generate_spec,
)


@pytest.fixture(scope="module")
def renderer():
    r = SceneRenderer(256, 256)
    yield r
    r.close()


@pytest.fixture(scope="module")
def scorer():
    return T2IScorer(256, 256)


def test_validation_accepts_true_rejects_perturbed(scorer, renderer):
    report = validate_scorer(scorer, specs_per_skill=2, base_seed=777, renderer=renderer)
    assert len(report) == 7
    for skill, v in report.items():
        assert v.true_renders == 18  # 2 specs x 9 views (3 cameras, 3 lightings, 3 sizes)
        assert v.perturbed_renders >= 4
        assert v.accept_rate >= 0.99, (skill, v.failures)
        assert v.reject_rate >= 0.99, (skill, v.failures)


@pytest.mark.slow
def test_validation_exhaustive(scorer, renderer):
    report = validate_scorer(scorer, specs_per_skill=40, base_seed=1000, renderer=renderer)
    for skill, v in report.items():
        assert v.accept_rate >= 0.99 and v.reject_rate >= 0.99, (skill, v.failures)


def _two_red_cubes_spec(objects):
    return SceneSpec("counting", (Group(2, "cube", "red"),), tuple(objects))


def test_reasons_name_what_was_found(scorer, renderer):
    one = [ObjectSpec("cube", "red", -0.1, 0.0, 0.2, 0)]
    spec = _two_red_cubes_spec(one)
    verdict = scorer.score(renderer.t2i_image(spec), spec)
    assert not verdict.ok
    assert verdict.reason.startswith("found 1 red cube, expected 2")
    two = [*one, ObjectSpec("cube", "red", 0.15, 0.1, 0.9, 0)]
    spec2 = _two_red_cubes_spec(two)
    ok = scorer.score(renderer.t2i_image(spec2), spec2)
    assert ok.ok and ok.reason == "ok: found 2 red cubes"
    assert [o.label() for o in ok.detected] == ["red cube", "red cube"]
    # An extra object of another kind is named.
    extra = SceneSpec(
        "counting",
        (Group(2, "cube", "red"),),
        (*two, ObjectSpec("sphere", "blue", 0.0, -0.2, 0, 0)),
    )
    v = scorer.score(renderer.t2i_image(extra), spec2)
    assert v.reason == "found 3 objects, expected 2 (detected: red cube, blue sphere, red cube)"


def test_relation_reason(scorer, renderer):
    spec = SceneSpec(
        "position",
        (Group(1, "cube"), Group(1, "sphere")),
        (ObjectSpec("cube", "green", 0.2, 0, 0, 0), ObjectSpec("sphere", "red", -0.2, 0, 0, 1)),
        Relation(1, "right of", 0),
    )
    v = scorer.score(renderer.t2i_image(spec), spec)
    assert not v.ok and v.reason.startswith("the sphere is left of the cube (dx=-")
    assert v.reason.endswith("expected right of")


def test_any_size_is_resized_the_same_way(scorer):
    spec = generate_spec("colour_attribution", 4)
    for w, h in ((333, 333), (181, 181), (257, 255)):
        r = SceneRenderer(w, h)
        try:
            img = r.t2i_image(spec)
        finally:
            r.close()
        assert prepare_image(img, 256, 256).shape == (256, 256, 3)
        assert scorer.score(img, spec).ok, (w, h)


def test_wide_image_is_centre_cropped_not_squashed(scorer, renderer):
    spec = generate_spec("shape", 9)
    img = renderer.t2i_image(spec)
    pad = np.broadcast_to(img[:, :1], (256, 64, 3))
    wide = np.concatenate([pad, img, pad], axis=1)  # 256 x 384, background on both sides
    assert np.array_equal(prepare_image(wide, 256, 256), img)
    assert scorer.score(wide, spec).ok


def test_grey_and_rgba_inputs(scorer, renderer):
    spec = generate_spec("colour", 2)
    img = renderer.t2i_image(spec)
    rgba = np.concatenate([img, np.full((256, 256, 1), 255, np.uint8)], axis=2)
    assert scorer.score(rgba, spec).ok
    grey = img.mean(axis=2).astype(np.uint8)
    assert scorer.detect(grey) == ()


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((64, 64, 3), np.float32), "uint8"),
        (np.zeros((64, 64, 2), np.uint8), "shape"),
        (np.zeros((4, 64, 3), np.uint8), "shape"),
        (np.zeros((2, 64, 64, 3), np.uint8), "shape"),
    ],
)
def test_invalid_images_are_model_output_errors(scorer, bad, match):
    with pytest.raises(ModelOutputError, match=match):
        scorer.detect(bad)


def test_noise_and_blank_have_no_objects(scorer):
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert scorer.detect(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)) == ()
    assert scorer.detect(np.full((256, 256, 3), 200, np.uint8)) == ()
