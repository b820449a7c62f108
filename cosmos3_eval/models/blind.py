"""``blind`` — the prior floor: answers from the question text alone, never the media.

At construction it learns what the *text* of physqa-sim questions says about their answers:
it generates training questions with the package's own generator (``generator`` 1 or 2, the
task config key of the same name) and fits, per question template (the question with colour
names masked, so "How many spheres" and "How many objects" stay apart):

* for multiple choice, a conditional-logit model over the options with the option's position,
  its full text and each of its words as features (it learns "no" for "will it topple?" and
  "never a capsule" for "which is the tallest?");
* for numbers, the answer frequencies (it answers the most common).

Training seeds start at 2**31, outside the 31-bit range every evaluation seed comes from
(:func:`cosmos3_eval.api.benchmark.derive_seed`), so no evaluated question is ever seen. A
benchmark whose text carries no answer information holds this model at chance; anything above
chance is a language prior a real model could exploit without looking.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.types import CHOICE_LETTERS, QARequest, TextOutput
from cosmos3_eval.sim.scenes.qa_questions import generate
from cosmos3_eval.sim.scenes.qa_questions_v2 import generate_v2
from cosmos3_eval.sim.scenes.qa_spec import COLOURS, QUESTION_TYPES

TRAIN_SEED_BASE = 2**31
"""First training seed: above every seed :func:`derive_seed` can return."""

_COLOUR_RE = re.compile(r"\b(" + "|".join(sorted(COLOURS, key=len, reverse=True)) + r")\b")


def template(question: str) -> str:
    """The question with colour names masked and whitespace / case normalised."""
    return " ".join(_COLOUR_RE.sub("<colour>", question.lower()).split())


@dataclass(frozen=True)
class Example:
    """One training question as a text-only model sees it, with its answer.

    Attributes:
        question: The question text.
        choices: The options, or ``None`` for a number.
        answer: The correct option's index, or the correct number.
    """

    question: str
    choices: tuple[str, ...] | None
    answer: int


def _features(choice: str, position: int) -> list[str]:
    return [f"pos={position}", f"text={choice.lower()}"] + [
        f"word={w}" for w in choice.lower().split()
    ]


@dataclass(frozen=True)
class ChoiceModel:
    """A conditional-logit scorer of options by their position and text (one template)."""

    vocab: dict[str, int]
    weights: np.ndarray

    @classmethod
    def fit(cls, examples: list[Example], l2: float = 1e-3, steps: int = 300) -> ChoiceModel:
        """Fit by full-batch gradient descent on the softmax cross-entropy (deterministic)."""
        vocab: dict[str, int] = {}
        for ex in examples:
            for j, c in enumerate(ex.choices or ()):
                for f in _features(c, j):
                    vocab.setdefault(f, len(vocab))
        k = max(len(ex.choices or ()) for ex in examples)
        x = np.zeros((len(examples), k, len(vocab)))
        mask = np.full((len(examples), k), -np.inf)
        y = np.zeros((len(examples), k))
        for n, ex in enumerate(examples):
            for j, c in enumerate(ex.choices or ()):
                x[n, j, [vocab[f] for f in _features(c, j)]] = 1.0
                mask[n, j] = 0.0
            y[n, ex.answer] = 1.0
        w = np.zeros(len(vocab))
        for _ in range(steps):
            logits = x @ w + mask
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            grad = np.einsum("nk,nkf->f", p - y, x) / len(examples) + l2 * w
            w -= 2.0 * grad
        return cls(vocab, w)

    def scores(self, choices: tuple[str, ...]) -> np.ndarray:
        """One score per option (higher = more likely correct); unseen features score 0."""
        return np.array(
            [
                sum(self.weights[self.vocab[f]] for f in _features(c, j) if f in self.vocab)
                for j, c in enumerate(choices)
            ]
        )


@functools.lru_cache(maxsize=4)
def training_examples(generator: int, per_type: int) -> tuple[Example, ...]:
    """``per_type`` questions of every type from the reserved seed range (deterministic)."""
    gen = generate_v2 if generator == 2 else generate
    out = []
    for qtype in QUESTION_TYPES:
        for i in range(per_type):
            q = gen(TRAIN_SEED_BASE + i, qtype)
            answer = q.answer_index if q.choices is not None else q.answer_number
            out.append(Example(q.text, q.choices, int(answer)))
    return tuple(out)


class BlindModel:
    """Text-only baseline: the best answer the question and choices alone suggest.

    Args:
        generator: The physqa-sim generator to learn priors from (1 or 2; match the task's
            ``generator``).
        train_per_type: Training questions per question type (more = sharper priors, slower
            construction: about 9 x 30 ms per unit).
    """

    reads_images = False  # never looks at media: engines need not render for it

    def __init__(self, generator: int = 2, train_per_type: int = 100) -> None:
        if generator not in (1, 2):
            raise ValueError(f"generator must be 1 or 2, got {generator}")
        if not 10 <= int(train_per_type) <= 5000:
            raise ValueError(f"train_per_type must be in [10, 5000], got {train_per_type}")
        self.info = ModelInfo(
            name="blind", params={"generator": generator, "train_per_type": int(train_per_type)}
        )
        examples = training_examples(generator, int(train_per_type))
        by_key: dict[str, list[Example]] = {}
        for ex in examples:
            by_key.setdefault(template(ex.question), []).append(ex)
        self._choice = {
            k: ChoiceModel.fit(v) for k, v in by_key.items() if v[0].choices is not None
        }
        self._numbers = {
            k: Counter(ex.answer for ex in v) for k, v in by_key.items() if v[0].choices is None
        }
        # fall-backs for templates never seen (e.g. a qa-jsonl file): the overall priors
        positions = Counter(ex.answer for ex in examples if ex.choices is not None)
        self._position = positions.most_common(1)[0][0] if positions else 0
        numbers = Counter(ex.answer for ex in examples if ex.choices is None)
        self._number = _mode(numbers) if numbers else 0

    def answer(self, requests: list[QARequest]) -> list[TextOutput]:
        """The most likely option letter, or the most common number, from the text alone."""
        out = []
        for r in requests:
            key = template(r.question)
            if r.choices:
                model = self._choice.get(key)
                if model is not None:
                    best = int(np.argmax(model.scores(r.choices)))
                else:
                    best = self._position if self._position < len(r.choices) else 0
                out.append(TextOutput(CHOICE_LETTERS[best]))
            else:
                counts = self._numbers.get(key)
                out.append(TextOutput(str(_mode(counts) if counts else self._number)))
        return out


def _mode(counts: Counter[int]) -> int:
    """The most common value; the smallest among ties (deterministic)."""
    top = max(counts.values())
    return min(v for v, c in counts.items() if c == top)
