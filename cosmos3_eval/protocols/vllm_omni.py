"""The vLLM-Omni generation wire format (what the adapter sends and ``serve`` answers).

``POST /v1/images/generations`` (JSON, the OpenAI images API)
    request ``{"model", "prompt", "n": 1, "size": "WxH", "response_format": "b64_json",
    "seed"}`` (plus ``"style"`` when the request has one); response
    ``{"created", "data": [{"b64_json": <PNG or JPEG base64>}]}``.

``POST /v1/videos/sync`` (``multipart/form-data``, as vLLM-Omni)
    fields ``model, prompt, width, height, num_frames, fps, seed`` and the file
    ``input_reference`` (PNG of the first conditioning frame). cosmos3-eval extensions, sent
    only when used: file ``conditioning_video`` (lossless MP4 of all K > 1 conditioning
    frames) and fields ``actions`` (JSON list of lists, ``(T - 1, A)``) and ``action_format``.
    The response body is the raw video (``video/mp4``; GIF is accepted too).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from cosmos3_eval.api.media import (
    b64decode,
    b64encode,
    check_image,
    check_video,
    decode_image,
    decode_video,
    encode_image,
    encode_video,
)
from cosmos3_eval.api.types import I2VRequest, ImageOutput, T2IRequest, VideoOutput
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.protocols import WireFormatError

IMAGES_PATH = "/v1/images/generations"
VIDEOS_PATH = "/v1/videos/sync"


@dataclass(frozen=True)
class VideoForm:
    """A ``videos/sync`` multipart form.

    Attributes:
        fields: Text fields by name.
        files: File name, content and MIME type by field name (the ``httpx`` ``files=`` shape).
    """

    fields: dict[str, str]
    files: dict[str, tuple[str, bytes, str]]


# ------------------------------------------------------------------------------ images


def t2i_body(request: T2IRequest, model: str) -> dict[str, Any]:
    """The ``images/generations`` JSON body for one request."""
    body: dict[str, Any] = {
        "model": model,
        "prompt": request.prompt,
        "n": 1,
        "size": f"{request.width}x{request.height}",
        "response_format": "b64_json",
        "seed": int(request.seed),
    }
    if request.style:
        body["style"] = request.style
    return body


def t2i_request_from_body(body: dict[str, Any], request_id: str) -> T2IRequest:
    """Rebuild a :class:`T2IRequest` from an ``images/generations`` body.

    Raises:
        WireFormatError: Missing prompt, ``n != 1`` or a bad size.
    """
    if not isinstance(body.get("prompt"), str):
        raise WireFormatError("'prompt' must be a string")
    if body.get("n", 1) != 1:
        raise WireFormatError("only n=1 is supported")
    size = str(body.get("size", "256x256"))
    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError as exc:
        raise WireFormatError(f"bad size {size!r}, expected WxH") from exc
    return T2IRequest(
        id=request_id,
        prompt=body["prompt"],
        width=width,
        height=height,
        seed=int(body.get("seed") or 0),
        style=str(body.get("style", "")),
    )


def images_response(image: np.ndarray) -> dict[str, Any]:
    """The ``images/generations`` response body carrying one PNG."""
    return {"created": int(time.time()), "data": [{"b64_json": b64encode(encode_image(image))}]}


def image_from_response(content: bytes, request: T2IRequest) -> ImageOutput:
    """Decode and validate the image of an ``images/generations`` response body.

    Raises:
        ModelOutputError: Malformed body, undecodable image or the wrong size.
    """
    try:
        b64 = json.loads(content)["data"][0]["b64_json"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ModelOutputError(
            f"vllm-omni: malformed images response ({type(exc).__name__}: {exc})"
        ) from exc
    image = decode_image(b64decode(b64, "b64_json image"), "generated image")
    return ImageOutput(check_image(image, request.width, request.height, "generated image"))


# ------------------------------------------------------------------------------ videos


def i2v_form(request: I2VRequest, model: str) -> VideoForm:
    """The ``videos/sync`` form for one request (extensions only when used)."""
    frames = request.frames
    k, h, w = frames.shape[:3]
    fields = {
        "model": model,
        "prompt": request.prompt,
        "width": str(w),
        "height": str(h),
        "num_frames": str(request.num_frames),
        "fps": repr(float(request.fps)),
        "seed": str(int(request.seed)),
    }
    files = {"input_reference": ("frame0.png", encode_image(frames[0]), "image/png")}
    if k > 1:
        files["conditioning_video"] = (
            "conditioning.mp4",
            encode_video(frames, fps=request.fps, lossless=True),
            "video/mp4",
        )
    if request.actions is not None:
        fields["actions"] = json.dumps(request.actions.astype(float).tolist())
        if request.action_format:
            fields["action_format"] = request.action_format
    return VideoForm(fields, files)


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a ``multipart/form-data`` body into text fields and file contents.

    Uses the standard library's MIME parser (no extra dependency).

    Raises:
        WireFormatError: Not a multipart body.
    """
    if not content_type.startswith("multipart/form-data"):
        raise WireFormatError("expected multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        raise WireFormatError("malformed multipart body")
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[str(name)] = payload
        else:
            fields[str(name)] = payload.decode("utf-8")
    return fields, files


def i2v_request_from_form(
    fields: dict[str, str], files: dict[str, bytes], request_id: str
) -> I2VRequest:
    """Rebuild an :class:`I2VRequest` from a ``videos/sync`` form.

    Raises:
        WireFormatError: No conditioning image or a malformed field.
        ModelOutputError: A conditioning file does not decode.
    """
    try:
        if "conditioning_video" in files:
            frames = decode_video(files["conditioning_video"], "conditioning_video")
        elif "input_reference" in files:
            frames = decode_image(files["input_reference"], "input_reference")[None]
        else:
            raise WireFormatError("need an 'input_reference' image")
        actions = None
        if "actions" in fields:
            actions = np.asarray(json.loads(fields["actions"]), dtype=np.float32)
        return I2VRequest(
            id=request_id,
            prompt=fields.get("prompt", ""),
            frames=frames,
            num_frames=int(fields.get("num_frames", 16)),
            fps=float(fields.get("fps", 8.0)),
            actions=actions,
            action_format=fields.get("action_format"),
            seed=int(fields.get("seed", 0)),
        )
    except (ValueError, TypeError) as exc:
        raise WireFormatError(f"bad videos/sync form: {exc}") from exc


def video_response(video: np.ndarray, fps: float) -> bytes:
    """The ``videos/sync`` response body: a lossless MP4 (so scores survive the network)."""
    return encode_video(video, "mp4", fps, True)


def video_from_response(content: bytes, request: I2VRequest) -> VideoOutput:
    """Decode and validate the video of a ``videos/sync`` response.

    Raises:
        ModelOutputError: Undecodable video, wrong frame count or size.
    """
    h, w = request.frames.shape[1:3]
    video = decode_video(content, "generated video")
    return VideoOutput(check_video(video, request.num_frames, w, h, "generated video"))
