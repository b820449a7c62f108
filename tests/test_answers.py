import pytest

from cosmos3_eval.scorers.answers import extract_choice, extract_number

COLOURS = ["blue", "red", "green", "yellow"]
OBJECTS = ["red sphere", "blue box", "green cylinder", "yellow capsule"]
YESNO = ["yes", "no"]
NUMS = ["2", "3", "4", "5"]

CHOICE_TABLE = [
    ("B", COLOURS, 1),
    ("(B)", COLOURS, 1),
    ("B) red", COLOURS, 1),
    ("b.", COLOURS, 1),
    ("b", COLOURS, 1),
    ("C:", COLOURS, 2),
    ("The answer is red.", COLOURS, 1),
    ("Answer: B", COLOURS, 1),
    ("answer: d", COLOURS, 3),
    ("I think it's (C) green", COLOURS, 2),
    ("I think it's (C) blue", COLOURS, 2),  # the explicit letter wins over the text
    ("**D**", COLOURS, 3),
    ("The correct option is A.", COLOURS, 0),
    ("Red", COLOURS, 1),
    ("It is yellow.", COLOURS, 3),
    ("The answer is a red ball", OBJECTS, 0),
    ("A red sphere is closest.", OBJECTS, 0),
    ("the blue box", OBJECTS, 1),
    ("green", OBJECTS, 2),
    ("I'd go with D", OBJECTS, 3),
    ("D. yellow capsule", OBJECTS, 3),
    ("Yes", YESNO, 0),
    ("No, they do not collide.", YESNO, 1),
    ("yes.", YESNO, 0),
    ("B", YESNO, 1),
    ("3", NUMS, 1),
    ("three", NUMS, 1),
    ("There are four.", NUMS, 2),
    # ambiguous or unparsable -> None
    ("red or blue", COLOURS, None),
    ("I don't know", COLOURS, None),
    ("", COLOURS, None),
    ("E", COLOURS, None),
    ("(A) or (B)", COLOURS, None),
    ("purple", COLOURS, None),
    ("maybe", YESNO, None),
]


@pytest.mark.parametrize(("text", "choices", "expected"), CHOICE_TABLE)
def test_extract_choice(text, choices, expected):
    assert extract_choice(text, choices) == expected


NUMBER_TABLE = [
    ("3", 3),
    ("three", 3),
    ("There are 3 spheres.", 3),
    ("Answer: 4", 4),
    ("The answer is five.", 5),
    ("**2**", 2),
    ("I count 6 objects", 6),
    ("0", 0),
    ("none", 0),
    ("2.5", 2.5),
    ("I see 3 red ones and 4 blue ones", None),
    ("many", None),
    ("", None),
    ("I count 3, so the answer is 4", 4),
]


@pytest.mark.parametrize(("text", "expected"), NUMBER_TABLE)
def test_extract_number(text, expected):
    assert extract_number(text) == expected


def test_table_is_large_enough():
    assert len(CHOICE_TABLE) + len(NUMBER_TABLE) >= 30
