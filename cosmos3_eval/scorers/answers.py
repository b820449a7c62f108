"""Answer extraction: map a model's free text to a choice index or a number.

Accepted forms include ``"B"``, ``"(B)"``, ``"B) red"``, ``"b."``, ``"Answer: B"``,
``"The answer is red."``, ``"I think it's (C) blue"``, ``"3"`` and ``"three"``. When the text
is ambiguous (two different answers) or names nothing, the extractors return ``None``: the
sample then scores 0 with the reason recorded, it is not an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

NUMBER_WORDS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
NUMBER_WORDS.update({"none": 0, "no": 0, "single": 1, "a couple": 2, "pair": 2})
_WORD_NUMBER = {
    k: v for k, v in NUMBER_WORDS.items() if k not in ("none", "no", "single", "a couple", "pair")
}

_STOPWORDS = frozenset(
    "the a an is it its it's of to in on at and or object objects one thing this that".split()
)
_ANSWER_CUE = r"(?:answer|option|choice)\s*(?:is|would be|:|=|-)?\s*:?\s*"


def _clean(text: str) -> str:
    # Markdown emphasis and code quotes are common in chat models' answers.
    return re.sub(r"[*_`]+", "", text).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text.lower())


def _letter_index(letter: str, n: int) -> int | None:
    i = ord(letter.upper()) - ord("A")
    return i if 0 <= i < n else None


class _Ambiguous(Exception):
    """Two different explicit answers."""


def _explicit_letter(text: str, n: int) -> int | None:
    """A choice letter given in one of the explicit forms, or ``None``."""
    letters = "".join(chr(ord("A") + i) for i in range(n))
    lo = letters.lower()
    # The whole answer is a letter: "B", "(b)", "b.", "C:".
    m = re.fullmatch(rf"\(?([{letters}{lo}])\)?[.:)]?", text)
    if m:
        return _letter_index(m.group(1), n)
    # "Answer: B", "The answer is (c)", "option D". A lower-case letter must be followed by
    # punctuation or the end, so that "the answer is a red ball" reads as text, not as "A".
    m = re.search(
        rf"(?i:{_ANSWER_CUE})(?:\(([{letters}{lo}])\)|([{letters}])\b|([{lo}])(?=[.:)]|$))", text
    )
    if m:
        return _letter_index(next(g for g in m.groups() if g), n)
    # Parenthesised letters anywhere: "I think it's (C) blue" (all must agree).
    found = {_letter_index(x, n) for x in re.findall(rf"\(([{letters}{lo}])\)", text)}
    if len(found) > 1:
        raise _Ambiguous
    if found:
        return found.pop()
    # Leading "B) red", "b. red", "C: blue".
    m = re.match(rf"([{letters}{lo}])[.:)]\s", text)
    if m:
        return _letter_index(m.group(1), n)
    return None


def _normalise_numbers(words: list[str]) -> list[str]:
    return [str(_WORD_NUMBER[w]) if w in _WORD_NUMBER else w for w in words]


def _contains(hay: list[str], needle: list[str]) -> list[int]:
    k = len(needle)
    return [i for i in range(len(hay) - k + 1) if hay[i : i + k] == needle] if k else []


def _by_text(text: str, choices: Sequence[str]) -> int | None:
    """The unique choice whose text (or a word only it has) appears in ``text``."""
    hay = _normalise_numbers(_words(text))
    opts = [_normalise_numbers(_words(c)) for c in choices]
    # 1. Whole choice phrases; a phrase inside a longer matched phrase does not count.
    spans = []
    for i, o in enumerate(opts):
        spans += [(start, start + len(o), i) for start in _contains(hay, o)]
    kept = {
        i
        for s, e, i in spans
        if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _ in spans)
    }
    if len(kept) == 1:
        return kept.pop()
    if len(kept) > 1:
        return None
    # 2. Distinctive words: "red" for "red sphere" when no other choice says "red".
    hits = set()
    for i, o in enumerate(opts):
        others = {w for j, p in enumerate(opts) if j != i for w in p}
        own = [w for w in o if w not in others and w not in _STOPWORDS]
        if any(w in hay for w in own):
            hits.add(i)
    return hits.pop() if len(hits) == 1 else None


def extract_choice(text: str, choices: Sequence[str]) -> int | None:
    """The index of the choice ``text`` answers, or ``None`` if ambiguous / unparsable.

    Explicit letters win over choice text ("B) red" is B even if red is C); text is matched
    as whole words, and a bare capital letter is the last resort.

    Args:
        text: The model's answer.
        choices: The options, lettered A, B, ... in order.
    """
    n = len(choices)
    text = _clean(text)
    if not text or n == 0:
        return None
    try:
        idx = _explicit_letter(text, n)
    except _Ambiguous:
        return None
    if idx is not None:
        return idx
    idx = _by_text(text, choices)
    if idx is not None:
        return idx
    # A lone capital letter token somewhere ("I'd go with B"); "A" opening a sentence and "I"
    # are English words, so they do not count.
    letters = {
        m.group(1)
        for m in re.finditer(r"(?<![A-Za-z'])([A-Z])(?![A-Za-z'])", text)
        if not (m.group(1) == "I" or (m.group(1) == "A" and re.match(r"\s+[a-z]", text[m.end() :])))
    }
    found = {_letter_index(x, n) for x in letters} - {None}
    if len(found) == 1 and len(letters) == 1:
        return found.pop()
    return None


def extract_number(text: str) -> float | None:
    """The number ``text`` answers ("3", "three", "There are 3.", "Answer: 4"), or ``None``.

    When several different numbers appear, the one after an "answer is" cue is taken;
    otherwise the text is ambiguous.
    """
    text = _clean(text).lower()
    if not text:
        return None
    cue = re.search(rf"{_ANSWER_CUE}(-?\d+(?:\.\d+)?|[a-z]+)", text)
    if cue:
        tok = cue.group(1)
        if tok in _WORD_NUMBER:
            return float(_WORD_NUMBER[tok])
        try:
            return float(tok)
        except ValueError:
            pass
    values = {float(x) for x in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\d)", text)}
    words = _words(text)
    values |= {float(_WORD_NUMBER[w]) for w in words if w in _WORD_NUMBER}
    if not values and (words[:1] == ["none"] or words[:2] == ["there", "are"] and "no" in words):
        values = {0.0}
    return values.pop() if len(values) == 1 else None


def format_number(value: float) -> str:
    """``3.0`` -> ``"3"``, ``2.5`` -> ``"2.5"`` (for reasons)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
