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

import email.parser
import email.policy
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field

from cosmos3_eval.api.media import (
    MediaLimits,
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
from cosmos3_eval.protocols import WireFormatError, WireModel, loads_json, seed_field, validate

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


_SIZE = re.compile(r"^(\d{1,6})x(\d{1,6})$")


class ImagesRequest(WireModel):
    """A ``POST /v1/images/generations`` body."""

    prompt: str
    model: str | None = None
    n: int = Field(1, ge=1, le=1)
    size: str = "256x256"
    seed: int | None = seed_field(None)
    style: str = ""
    response_format: str = "b64_json"


class VideoFields(WireModel):
    """The text fields of a ``POST /v1/videos/sync`` form (numbers arrive as strings)."""

    prompt: str = ""
    model: str | None = None
    width: int | None = Field(None, ge=1)
    height: int | None = Field(None, ge=1)
    num_frames: int = Field(16, ge=1)
    fps: float = Field(8.0, gt=0, le=1000)
    seed: int = seed_field(0)
    actions: str | None = None
    action_format: str | None = None


def t2i_request_from_body(
    body: Any, request_id: str, limits: MediaLimits | None = None
) -> T2IRequest:
    """Rebuild a :class:`T2IRequest` from an ``images/generations`` body.

    Raises:
        WireFormatError: Not an object, missing prompt, ``n != 1`` or a bad size.
        ModelOutputError: A size outside ``limits``.
    """
    req = validate(ImagesRequest, body, "images request")
    m = _SIZE.match(req.size.lower())
    if not m:
        raise WireFormatError(f"bad size {req.size[:40]!r}, expected WxH")
    width, height = int(m.group(1)), int(m.group(2))
    (limits or MediaLimits()).check_size(width, height, "size")
    return T2IRequest(
        id=request_id,
        prompt=req.prompt,
        width=width,
        height=height,
        seed=req.seed or 0,
        style=req.style,
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
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        raise WireFormatError("expected multipart/form-data with a boundary")
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
        if not isinstance(payload, bytes):
            raise WireFormatError(f"malformed multipart part {str(name)[:40]!r}")
        if part.get_filename() is not None:
            files[str(name)] = payload
        else:
            try:
                fields[str(name)] = payload.decode("utf-8")
            except UnicodeDecodeError:
                raise WireFormatError(f"field {str(name)[:40]!r} is not UTF-8") from None
    return fields, files


def _actions(text: str, limits: MediaLimits) -> np.ndarray:
    try:
        actions = np.asarray(loads_json(text, "actions"), dtype=np.float32)
    except (ValueError, TypeError, OverflowError):
        raise WireFormatError(
            "'actions' must be a JSON list of equal-length number lists"
        ) from None
    if actions.ndim != 2 or actions.shape[0] > limits.max_frames or actions.shape[1] > 64:
        raise WireFormatError(f"'actions' must be (T, A) with T <= {limits.max_frames}, A <= 64")
    if not np.isfinite(actions).all():
        raise WireFormatError("'actions' must be finite")
    return actions


def conditioning_frames(files: dict[str, bytes], limits: MediaLimits) -> np.ndarray:
    """``(T, H, W, 3)`` conditioning frames of a ``videos`` form: its video, else its image.

    Raises:
        WireFormatError: The form has neither.
        ModelOutputError: The file does not decode or exceeds ``limits``.
    """
    if "conditioning_video" in files:
        return decode_video(files["conditioning_video"], "conditioning_video", limits)
    if "input_reference" in files:
        return decode_image(files["input_reference"], "input_reference", limits)[None]
    raise WireFormatError("need an 'input_reference' image")


def i2v_request_from_form(
    fields: dict[str, str],
    files: dict[str, bytes],
    request_id: str,
    limits: MediaLimits | None = None,
) -> I2VRequest:
    """Rebuild an :class:`I2VRequest` from a ``videos/sync`` form.

    Raises:
        WireFormatError: No conditioning image or a malformed field.
        ModelOutputError: A conditioning file does not decode, or the conditioning or the
            requested video exceeds ``limits``.
    """
    limits = limits or MediaLimits()
    form = validate(VideoFields, fields, "videos/sync form")
    frames = conditioning_frames(files, limits)
    h, w = frames.shape[1:3]
    limits.check_video(form.num_frames, w, h, "requested video")
    actions = _actions(form.actions, limits) if form.actions is not None else None
    try:
        return I2VRequest(
            id=request_id,
            prompt=form.prompt,
            frames=frames,
            num_frames=form.num_frames,
            fps=form.fps,
            actions=actions,
            action_format=form.action_format,
            seed=form.seed,
        )
    except (ValueError, TypeError) as exc:
        raise WireFormatError(f"bad videos/sync form: {exc}") from None


def video_response(video: np.ndarray, fps: float, cancel: threading.Event | None = None) -> bytes:
    """The ``videos/sync`` response body: a lossless MP4 (so scores survive the network).

    Raises:
        Cancelled: ``cancel`` was set (the client went away); the ffmpeg child has exited.
    """
    return encode_video(video, "mp4", fps, True, cancel=cancel)


def video_from_response(content: bytes, request: I2VRequest) -> VideoOutput:
    """Decode and validate the video of a ``videos/sync`` response.

    Raises:
        ModelOutputError: Undecodable video, wrong frame count or size.
    """
    h, w = request.frames.shape[1:3]
    video = decode_video(content, "generated video")
    return VideoOutput(check_video(video, request.num_frames, w, h, "generated video"))
