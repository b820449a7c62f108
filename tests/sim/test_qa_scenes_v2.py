"""physqa-sim generator 2: the frame (text, choices, answer) is fixed before any scene."""

from collections import Counter

import numpy as np
import pytest
from scipy.stats import chisquare

from cosmos3_eval.sim.scenes.qa_physics import static_poses
from cosmos3_eval.sim.scenes.qa_questions_v2 import COUNT_RANGE, generate_v2, question_frame
from cosmos3_eval.sim.scenes.qa_spec import QUESTION_TYPES, SHAPES

FRAMES = 1200  # frames are cheap (no physics): enough for tight balance checks


@pytest.mark.parametrize("qtype", QUESTION_TYPES)
def test_answer_is_never_redrawn_and_generation_is_deterministic(qtype):
    for seed in range(3):
        q, frame = generate_v2(seed, qtype), question_frame(seed, qtype)
        assert q == generate_v2(seed, qtype) and q.qtype == qtype
        # whatever the rejections, the accepted question asks and answers what the frame drew
        assert (q.text, q.choices, q.answer_index, q.answer_number) == (
            frame.text,
            frame.choices,
            frame.answer_index,
            frame.answer_number,
        )
        if q.choices is not None:
            assert len(set(q.choices)) == len(q.choices)
        names = {o.name for o in q.scene.objects}
        assert {f"{c} {s}" for c, s in frame.named} <= names  # every named option is shown


@pytest.mark.parametrize("qtype", QUESTION_TYPES)
def test_answers_balanced_per_type(qtype):
    frames = [question_frame(s, qtype) for s in range(FRAMES)]
    if frames[0].choices is None:
        counts = Counter(f.answer_number for f in frames)
        assert set(counts) == set(COUNT_RANGE)
        # flat over the range for every question text (no text narrows the count)
        for variant in {f.variant for f in frames}:
            sub = [f.answer_number for f in frames if f.variant == variant]
            assert chisquare([sub.count(v) for v in COUNT_RANGE]).pvalue > 1e-3
    else:
        k = len(frames[0].choices)
        letters = [f.answer_index for f in frames]
        assert chisquare([letters.count(j) for j in range(k)]).pvalue > 1e-3
        # the correct option's text is distributed like any option's (no text is favoured)
        right = Counter(f.choices[f.answer_index] for f in frames)
        shown = Counter(c for f in frames for c in f.choices)
        for text, n in shown.items():
            if n >= 200:
                assert abs(right[text] / n - 1 / k) < 4 * np.sqrt((1 / k) * (1 - 1 / k) / n)


@pytest.mark.parametrize("variant", ["tallest", "largest"])
def test_any_shape_can_be_the_answer_to_size(variant):
    seen = set()
    for seed in range(400):
        frame = question_frame(seed, "size")
        shape = frame.named[frame.answer_index][1]
        if frame.variant != variant or shape in seen:
            continue
        q = generate_v2(seed, "size")
        values = [o.height if variant == "tallest" else o.volume for o in q.scene.objects]
        winner = q.scene.objects[int(np.argmax(values))]
        assert winner.name == q.choices[q.answer_index] and winner.shape == shape
        seen.add(shape)
    assert seen == set(SHAPES)  # a lying capsule included


def test_count_is_read_from_the_simulator():
    for seed in range(6):
        q = generate_v2(seed, "count")
        frame = question_frame(seed, "count")
        bodies = len(static_poses(q.scene)[0])
        if frame.variant == "objects":
            assert bodies == q.answer_number
        else:
            assert sum(o.shape == frame.variant for o in q.scene.objects) == q.answer_number
