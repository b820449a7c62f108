"""The chat codec: what the openai adapter encodes, serve decodes back exactly."""

import numpy as np

from cosmos3_eval.api.types import QARequest
from cosmos3_eval.protocols.openai import (
    CHOICE_INSTRUCTION,
    build_messages,
    parse_question,
    qa_request_from_chat,
    render_question,
)


def test_render_and_parse_question_roundtrip():
    text = render_question("How many?\nCount carefully.", ("one", "two. maybe", "three"))
    assert text.splitlines()[-1] == CHOICE_INSTRUCTION
    assert "A. one\nB. two. maybe\nC. three" in text
    assert parse_question(text) == ("How many?\nCount carefully.", ("one", "two. maybe", "three"))
    assert parse_question("plain question") == ("plain question", None)
    assert render_question("q", None) == "q"


def test_messages_follow_qwen_conventions():
    img = np.zeros((4, 5, 3), np.uint8)
    vid = np.zeros((3, 4, 5, 3), np.uint8)
    r = QARequest(id="x", question="q", images=(img,), video=vid, choices=("a", "b"), fps=4.0)
    parts = build_messages(r)[0]["content"]
    assert [p["type"] for p in parts] == ["image_url", "video", "text"]
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert len(parts[1]["video"]) == 3 and parts[1]["fps"] == 4.0
    parts = build_messages(r, video_mode="video_url")[0]["content"]
    assert parts[1]["video_url"]["url"].startswith("data:video/mp4;base64,")
    parts = build_messages(r, video_mode="images", image_format="jpeg")[0]["content"]
    assert [p["type"] for p in parts] == ["image_url"] * 4 + ["text"]
    assert parts[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")


def test_messages_decode_back_to_the_request():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    vid = rng.integers(0, 256, (3, 4, 5, 3), dtype=np.uint8)
    r = QARequest(id="x", question="q?", images=(img,), video=vid, choices=("a", "b"), seed=7)
    back = qa_request_from_chat({"messages": build_messages(r), "seed": 7}, "x")
    assert (back.question, back.choices, back.seed, back.fps) == ("q?", ("a", "b"), 7, 8.0)
    np.testing.assert_array_equal(back.images[0], img)
    np.testing.assert_array_equal(back.video, vid)
