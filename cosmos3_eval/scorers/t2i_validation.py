"""Validation of the compose-t2i scorer on MuJoCo renders, style variants and adversaries.

:func:`validate_scorer` (per skill: true renders under every view accepted, perturbed layouts
rejected) is the v1 validation; :func:`validate_classes` adds the style variants and the
adversarial cases of :mod:`cosmos3_eval.sim.scenes.t2i_adversarial` and counts verdicts per
class, so every class has its own false-accept or false-reject rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cosmos3_eval.scorers.t2i import T2IScorer
from cosmos3_eval.sim.scenes.render import SceneRenderer
from cosmos3_eval.sim.scenes.t2i import (
    PERTURBATIONS,
    SKILLS,
    applicable_perturbations,
    generate_spec,
    perturb,
    variants,
)
from cosmos3_eval.sim.scenes.t2i_adversarial import (
    ADVERSARIAL,
    STYLES,
    adversarial_image,
    adversarial_spec,
    style_variant,
)


@dataclass(frozen=True)
class SkillValidation:
    """Scorer validation counts for one skill."""

    accepted: int
    true_renders: int
    rejected: int
    perturbed_renders: int
    failures: tuple[str, ...] = ()

    @property
    def accept_rate(self) -> float:
        """Fraction of true renders accepted."""
        return self.accepted / max(self.true_renders, 1)

    @property
    def reject_rate(self) -> float:
        """Fraction of perturbed renders rejected."""
        return self.rejected / max(self.perturbed_renders, 1)


@dataclass(frozen=True)
class ClassValidation:
    """Verdict counts of one validation class.

    Attributes:
        name: Class name (``true_render``, a style, a perturbation or an adversarial kind).
        should_accept: Whether its images show the prompt correctly.
        n: Images scored.
        wrong: Images with the wrong verdict (false rejects or false accepts).
        failures: Up to 5 example reasons.
    """

    name: str
    should_accept: bool
    n: int
    wrong: int
    failures: tuple[str, ...] = ()

    @property
    def error_rate(self) -> float:
        """False-reject rate (accept classes) or false-accept rate (reject classes)."""
        return self.wrong / max(self.n, 1)


def validate_scorer(
    scorer: T2IScorer, specs_per_skill: int, base_seed: int = 0, renderer: Any = None
) -> dict[str, SkillValidation]:
    """Render true specs under every view variation and perturbed specs; count verdicts.

    Each true spec is rendered under its 9 :func:`~cosmos3_eval.sim.scenes.t2i.variants`
    (3 cameras, 3 lightings, 3 sizes, all backgrounds) and must be accepted; each applicable
    perturbation of it is rendered in the spec's own view and must be rejected.

    Args:
        scorer: The scorer under test.
        specs_per_skill: Number of seeded specs per skill.
        base_seed: Seeds are ``base_seed + i``.
        renderer: A :class:`~cosmos3_eval.sim.scenes.render.SceneRenderer` at the scorer's
            resolution (created and closed here if not given).

    Returns:
        Skill -> counts (failures keep up to 5 example reasons).
    """
    own = renderer is None
    renderer = renderer or SceneRenderer(scorer.width, scorer.height)
    out: dict[str, SkillValidation] = {}
    try:
        for skill in SKILLS:
            acc = n_true = rej = n_pert = 0
            fails: list[str] = []
            for i in range(specs_per_skill):
                spec = generate_spec(skill, base_seed + i)
                for v in variants(spec):
                    verdict = scorer.score(renderer.t2i_image(v), v)
                    n_true += 1
                    acc += verdict.ok
                    if not verdict.ok and len(fails) < 5:
                        fails.append(f"true {v.prompt!r} {v.view}: {verdict.reason}")
                for kind in applicable_perturbations(spec):
                    bad = perturb(spec, kind, base_seed + i)
                    verdict = scorer.score(renderer.t2i_image(bad), spec)
                    n_pert += 1
                    rej += not verdict.ok
                    if verdict.ok and len(fails) < 5:
                        fails.append(f"{kind} of {spec.prompt!r} accepted: {verdict.reason}")
            out[skill] = SkillValidation(acc, n_true, rej, n_pert, tuple(fails))
    finally:
        if own:
            renderer.close()
    return out


def validate_classes(
    scorer: T2IScorer, specs_per_skill: int, base_seed: int = 0, renderer: Any = None
) -> dict[str, ClassValidation]:
    """Count wrong verdicts per class: true renders, style variants, perturbations, adversaries.

    Every seeded spec contributes its 9 view variants (``true_render``), one image per style
    of :data:`~cosmos3_eval.sim.scenes.t2i_adversarial.STYLES` (all must be accepted), and one
    image per applicable perturbation and adversarial kind (all must be rejected).

    Args:
        scorer: The scorer under test.
        specs_per_skill: Number of seeded specs per skill.
        base_seed: Seeds are ``base_seed + i``.
        renderer: A 256x256 :class:`~cosmos3_eval.sim.scenes.render.SceneRenderer` (created
            and closed here if not given).

    Returns:
        Class name -> counts, accept classes first.
    """
    names = [("true_render", True), *((s, True) for s in STYLES)]
    names += [(k, False) for k in (*PERTURBATIONS, *ADVERSARIAL)]
    counts = {n: [0, 0, []] for n, _ in names}

    def tally(name: str, ok: bool, expect: bool, what: str, reason: str) -> None:
        c = counts[name]
        c[0] += 1
        if ok != expect:
            c[1] += 1
            if len(c[2]) < 5:
                c[2].append(f"{what}: {reason}")

    own = renderer is None
    renderer = renderer or SceneRenderer(256, 256)
    try:
        for skill in SKILLS:
            for i in range(specs_per_skill):
                seed = base_seed + i
                spec = generate_spec(skill, seed)
                for v in variants(spec):
                    verdict = scorer.score(renderer.t2i_image(v), v)
                    tally("true_render", verdict.ok, True, f"{v.prompt!r} {v.view}", verdict.reason)
                for style in STYLES:
                    img = style_variant(spec, style, renderer.t2i_image, seed)
                    verdict = scorer.score(img, spec)
                    tally(style, verdict.ok, True, repr(spec.prompt), verdict.reason)
                for kind in applicable_perturbations(spec):
                    verdict = scorer.score(renderer.t2i_image(perturb(spec, kind, seed)), spec)
                    tally(kind, verdict.ok, False, repr(spec.prompt), verdict.reason)
                for kind in ADVERSARIAL:
                    bad = adversarial_spec(spec, kind, seed)
                    if bad is None:
                        continue
                    img = adversarial_image(renderer.t2i_image(bad), kind, seed)
                    verdict = scorer.score(img, spec)
                    tally(kind, verdict.ok, False, repr(spec.prompt), verdict.reason)
    finally:
        if own:
            renderer.close()
    return {
        n: ClassValidation(n, expect, counts[n][0], counts[n][1], tuple(counts[n][2]))
        for n, expect in names
    }
