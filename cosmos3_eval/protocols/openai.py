"""The OpenAI chat completions wire format (Qwen3-VL conventions, as vLLM serves them).

* images are ``image_url`` parts holding PNG (lossless, default) or JPEG data URIs;
* a video is sent per ``video_mode``: ``"frames"`` (default) a Qwen-style
  ``{"type": "video", "video": [data URIs...], "fps": f}`` part; ``"video_url"`` an MP4 data
  URI in a ``video_url`` part (vLLM); ``"images"`` one ``image_url`` part per frame (any
  OpenAI-compatible server);
* media come first, then the text; multiple-choice options are rendered as ``"A. ..."`` lines
  followed by an instruction to answer with the letter (see :func:`render_question`).

The adapter encodes with :func:`build_messages`; ``serve`` decodes with
:func:`qa_request_from_chat` and answers with :func:`chat_response`.
"""

import re
import time
import uuid
from typing import Any

import numpy as np
from pydantic import Field

from cosmos3_eval.api.media import (
    MediaLimits,
    b64encode,
    decode_image_uri,
    decode_video,
    encode_video,
    image_data_uri,
    parse_data_uri,
)
from cosmos3_eval.api.types import QARequest
from cosmos3_eval.protocols import WireFormatError, WireModel, seed_field, validate

CHOICE_INSTRUCTION = "Answer with the option's letter from the given choices directly."
"""The line appended after the options (the Qwen-VL multiple-choice convention)."""

VIDEO_MODES = ("frames", "video_url", "images")

_OPTION = re.compile(r"^([A-Z])\. (.*)$")


def render_question(question: str, choices: tuple[str, ...] | None) -> str:
    """The prompt text: the question, then ``"A. ..."`` lines and the letter instruction."""
    if not choices:
        return question
    options = "\n".join(f"{chr(ord('A') + i)}. {c}" for i, c in enumerate(choices))
    return f"{question}\n{options}\n{CHOICE_INSTRUCTION}"


def parse_question(text: str) -> tuple[str, tuple[str, ...] | None]:
    """Inverse of :func:`render_question` (used by ``serve`` to rebuild a request).

    Options are recognised only as consecutive ``"A. "``, ``"B. "``, ... lines directly
    followed by :data:`CHOICE_INSTRUCTION`, so an ordinary question is left untouched.
    """
    lines = text.split("\n")
    if len(lines) < 3 or lines[-1] != CHOICE_INSTRUCTION:
        return text, None
    options: list[str] = []
    i = len(lines) - 2
    while i >= 1:
        m = _OPTION.match(lines[i])
        if not m:
            break
        options.append(m.group(2))
        i -= 1
    options.reverse()
    if not options or any(
        not lines[i + 1 + k].startswith(f"{chr(ord('A') + k)}. ") for k in range(len(options))
    ):
        return text, None
    return "\n".join(lines[: i + 1]), tuple(options)


def build_messages(
    request: QARequest,
    image_format: str = "png",
    video_mode: str = "frames",
    system_prompt: str | None = None,
) -> list[dict[str, Any]]:
    """Chat messages for one request (media first, then the question text)."""
    content: list[dict[str, Any]] = [
        {"type": "image_url", "image_url": {"url": image_data_uri(img, image_format)}}
        for img in request.images
    ]
    if request.video is not None:
        fps = float(request.fps or 8.0)
        if video_mode == "frames":
            frames = [image_data_uri(f, image_format) for f in request.video]
            content.append({"type": "video", "video": frames, "fps": fps})
        elif video_mode == "video_url":
            uri = "data:video/mp4;base64," + b64encode(encode_video(request.video, fps=fps))
            content.append({"type": "video_url", "video_url": {"url": uri}})
        else:
            content.extend(
                {"type": "image_url", "image_url": {"url": image_data_uri(f, image_format)}}
                for f in request.video
            )
    content.append({"type": "text", "text": render_question(request.question, request.choices)})
    messages: list[dict[str, Any]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": content})
    return messages


class MediaUrl(WireModel):
    """An ``image_url`` / ``video_url`` object."""

    url: str


class ContentPart(WireModel):
    """One part of a message's content (``type`` selects which field is read)."""

    type: str
    text: str | None = None
    image_url: MediaUrl | None = None
    video: list[str] | None = None
    video_url: MediaUrl | None = None
    fps: float | None = Field(None, gt=0, le=1000)


class ChatMessage(WireModel):
    """One chat message."""

    role: str
    content: str | list[ContentPart] | None = None


class ChatRequest(WireModel):
    """A ``POST /v1/chat/completions`` body (other OpenAI fields are accepted and ignored)."""

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    seed: int | None = seed_field(None)


def _count(pixels: int, image: np.ndarray, limits: MediaLimits) -> int:
    total = pixels + int(np.prod(image.shape[:-1]))
    if total > limits.max_total_pixels:
        raise WireFormatError(f"media exceed {limits.max_total_pixels} pixels in one request")
    return total


def qa_request_from_chat(
    body: Any, request_id: str, limits: MediaLimits | None = None
) -> QARequest:
    """Rebuild a :class:`QARequest` from a chat completions body (inverse of the above).

    Args:
        body: The parsed JSON body (validated here: any shape may arrive).
        request_id: Id of the rebuilt request.
        limits: Bounds on the media (default :class:`MediaLimits`).

    Raises:
        WireFormatError: The body is not a chat request this codec understands.
        ModelOutputError: A media part does not decode or exceeds ``limits``.
    """
    limits = limits or MediaLimits()
    chat = validate(ChatRequest, body, "chat request")
    user = [m for m in chat.messages if m.role == "user"]
    if not user:
        raise WireFormatError("no user message")
    content = user[-1].content
    if content is None or isinstance(content, str):
        content = [ContentPart(type="text", text=content or "")]
    images: list[np.ndarray] = []
    video = None
    fps = None
    texts: list[str] = []
    pixels = 0
    for part in content:
        if part.type == "text":
            texts.append(part.text or "")
        elif part.type == "image_url" and part.image_url is not None:
            images.append(decode_image_uri(part.image_url.url, "image_url", limits))
            pixels = _count(pixels, images[-1], limits)
        elif part.type == "video" and part.video:
            if len(part.video) > limits.max_frames:
                raise WireFormatError(f"'video' has over {limits.max_frames} frames")
            frames = []
            for uri in part.video:
                frames.append(decode_image_uri(uri, "video frame", limits))
                pixels = _count(pixels, frames[-1], limits)
            if len({f.shape for f in frames}) != 1:
                raise WireFormatError("'video' frames differ in size")
            video, fps = np.stack(frames), part.fps
        elif part.type == "video_url" and part.video_url is not None:
            _, data = parse_data_uri(part.video_url.url, "video_url")
            video = decode_video(data, "video_url", limits)
            pixels += int(np.prod(video.shape[:-1]))
        else:
            raise WireFormatError(f"unsupported or empty content part of type {part.type!r}")
    if pixels > limits.max_total_pixels:
        raise WireFormatError(f"media exceed {limits.max_total_pixels} pixels in one request")
    question, choices = parse_question("\n".join(texts))
    return QARequest(
        id=request_id,
        question=question,
        images=tuple(images),
        video=video,
        choices=choices,
        seed=chat.seed or 0,
        fps=fps,
    )


def chat_response(text: str, model_name: str) -> dict[str, Any]:
    """A ``chat.completion`` body carrying ``text`` (what the openai client parses)."""
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:24],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def models_response(model_name: str) -> dict[str, Any]:
    """The ``GET /v1/models`` body listing one served model."""
    return {
        "object": "list",
        "data": [{"id": model_name, "object": "model", "created": 0, "owned_by": "cosmos3-eval"}],
    }
