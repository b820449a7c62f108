"""The blind baseline: text only, learns the priors v1 leaks, is held at chance by v2."""

import math
from collections import defaultdict

import numpy as np
import pytest

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.api.types import QARequest
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.models.blind import BlindModel, template
from cosmos3_eval.sim.scenes.qa_questions import generate
from cosmos3_eval.sim.scenes.qa_questions_v2 import COUNT_RANGE, generate_v2
from cosmos3_eval.sim.scenes.qa_spec import QUESTION_TYPES


def _accuracy_by_type(model, gen, per_type, types=QUESTION_TYPES):
    """Blind accuracy and the chance level, per question type, on evaluation-range seeds."""
    hits, chance = defaultdict(list), {}
    for qtype in types:
        for i in range(per_type):
            q = gen(derive_seed("blind-test", i, 0), qtype)
            req = QARequest(id=str(i), question=q.text, choices=q.choices, seed=i)
            said = model.answer([req])[0].text
            want = "ABCD"[q.answer_index] if q.choices else str(q.answer_number)
            hits[qtype].append(said == want)
            chance[qtype] = 1 / len(q.choices) if q.choices else 1 / len(COUNT_RANGE)
    return {t: (float(np.mean(h)), chance[t], len(h)) for t, h in hits.items()}


# Nine question types are checked at once: each against its chance interval at the
# Bonferroni level 0.05 / 9 (z = 2.77), so the whole check has a 5 % false-alarm rate;
# nine separate 95 % intervals would flag a blameless model 37 % of the time.
Z_FAMILY = 2.77


def _in_chance_ci(acc, p, n):
    half = Z_FAMILY * math.sqrt(p * (1 - p) / n)
    return p - half <= acc <= p + half


def test_reads_text_only_and_is_registered():
    model = create_model("blind", {"train_per_type": 10})
    assert isinstance(model, BlindModel) and model.info.params["train_per_type"] == 10
    img = np.full((8, 8, 3), 200, np.uint8)
    q = dict(id="a", question="Which object is the tallest?", choices=("red box", "blue capsule"))
    with_media = model.answer([QARequest(images=(img,), video=np.zeros((2, 8, 8, 3)), **q)])
    assert with_media == model.answer([QARequest(**q)])
    assert template("Do the red sphere and the  Blue sphere collide?") == (
        "do the <colour> sphere and the <colour> sphere collide?"
    )
    # an unseen template still gets an answer it can parse
    assert model.answer([QARequest(id="b", question="What is 2+2?")])[0].text.isdigit()
    with pytest.raises(ValueError):
        BlindModel(generator=3)


def test_learns_the_v1_language_priors():
    model = BlindModel(generator=1, train_per_type=60)
    acc = _accuracy_by_type(model, generate, 100, ("topple", "size"))
    # v1 "no" wins the topple question ~72 % of the time and a capsule is never the tallest
    assert acc["topple"][0] > 0.6 and acc["size"][0] > acc["size"][1]


def test_v2_holds_blind_at_chance_for_every_type():
    acc = _accuracy_by_type(BlindModel(generator=2, train_per_type=30), generate_v2, 40)
    for qtype, (a, p, n) in acc.items():
        assert _in_chance_ci(a, p, n), f"{qtype}: blind {a:.2f} vs chance {p:.2f} (n={n})"


@pytest.mark.slow
def test_v2_holds_blind_at_chance_exhaustive():
    acc = _accuracy_by_type(BlindModel(generator=2, train_per_type=150), generate_v2, 300)
    for qtype, (a, p, n) in acc.items():
        assert _in_chance_ci(a, p, n), f"{qtype}: blind {a:.3f} vs chance {p:.3f} (n={n})"
