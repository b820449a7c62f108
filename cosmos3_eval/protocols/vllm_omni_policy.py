"""vLLM-Omni's async video job in policy mode: a predicted video together with actions.

``POST /v1/videos`` (``multipart/form-data``) creates a job. Fields as ``/v1/videos/sync``
(``model, prompt, width, height, num_frames, fps, seed``; file ``input_reference``, the PNG of
the current frame, and ``conditioning_video``, a lossless MP4 of all frames when there are
more than one) plus ``extra_params``, a JSON object:

* ``action_mode`` — ``"policy"`` (predict the next ``action_chunk_size`` actions and the
  ``num_frames`` frames they cause) or ``"inverse"`` (the frames are a clip; return the
  ``action_chunk_size`` actions that produced it; no video);
* ``domain_name`` — embodiment name (e.g. ``push_block``);
* ``raw_action_dim`` — action dimension;
* ``action_chunk_size`` — number of actions to return;
* cosmos3-eval extensions: ``action_format``, ``action_low``, ``action_high`` (the task's
  action convention), ``frame_every``, ``step``, ``proprio`` (name -> list of floats) and, for
  ``inverse``, ``frame_steps``.

The response is the job object ``{"id", "object": "video", "status", "created_at"}``.
``GET /v1/videos/{id}`` returns it again; ``status`` goes ``queued`` -> ``in_progress`` ->
``completed`` (then with ``"actions"``: a JSON list of ``action_chunk_size`` lists) or
``failed`` (then with ``"error": {"message"}``). ``GET /v1/videos/{id}/content`` returns the
predicted video (lossless ``video/mp4``) of a completed policy job.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import numpy as np
from pydantic import Field

from cosmos3_eval.api.media import (
    MediaLimits,
    check_video,
    decode_video,
    encode_image,
    encode_video,
)
from cosmos3_eval.api.types import (
    ActionChunk,
    ActionSpec,
    InverseDynamicsRequest,
    VideoActionOutput,
    VideoActRequest,
)
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.protocols import WireFormatError, WireModel, loads_json, validate
from cosmos3_eval.protocols.vllm_omni import VideoFields, VideoForm, conditioning_frames

JOBS_PATH = "/v1/videos"


def job_path(job_id: str) -> str:
    """Path of a job's status object."""
    return f"{JOBS_PATH}/{job_id}"


def content_path(job_id: str) -> str:
    """Path of a completed job's video."""
    return f"{JOBS_PATH}/{job_id}/content"


class ExtraParams(WireModel):
    """The ``extra_params`` object of a policy-mode job (module doc)."""

    action_mode: Literal["policy", "inverse"]
    domain_name: str = ""
    raw_action_dim: int = Field(ge=1, le=64)
    action_chunk_size: int = Field(ge=1, le=4096)
    action_format: str = ""
    action_low: float = -1.0
    action_high: float = 1.0
    frame_every: int = Field(1, ge=1, le=1000)
    step: int = Field(0, ge=0)
    proprio: dict[str, list[float]] = Field(default_factory=dict)
    frame_steps: list[int] | None = None


def _frames_files(frames: np.ndarray, fps: float) -> dict[str, tuple[str, bytes, str]]:
    files = {"input_reference": ("frame.png", encode_image(frames[-1]), "image/png")}
    if len(frames) > 1:
        video = encode_video(frames, fps=fps, lossless=True)
        files["conditioning_video"] = ("conditioning.mp4", video, "video/mp4")
    return files


def _spec_extra(spec: ActionSpec | None, dim: int) -> dict[str, Any]:
    if spec is None:
        return {"raw_action_dim": dim}
    return {
        "raw_action_dim": spec.dim,
        "action_format": spec.kind,
        "action_low": spec.low,
        "action_high": spec.high,
    }


def policy_form(request: VideoActRequest, model: str) -> VideoForm:
    """The ``POST /v1/videos`` form of a policy-mode request."""
    h, w = request.frames.shape[1:3]
    extra = {
        "action_mode": "policy",
        "domain_name": request.domain_name,
        "action_chunk_size": request.chunk_size,
        "frame_every": request.frame_every,
        "step": request.step,
        "proprio": {k: np.asarray(v, float).tolist() for k, v in request.proprio.items()},
        **_spec_extra(request.action_spec, 0),
    }
    fields = {
        "model": model,
        "prompt": request.instruction,
        "width": str(w),
        "height": str(h),
        "num_frames": str(request.num_frames),
        "fps": repr(float(request.fps)),
        "seed": str(int(request.seed)),
        "extra_params": json.dumps(extra),
    }
    return VideoForm(fields, _frames_files(request.frames, request.fps))


def inverse_form(request: InverseDynamicsRequest, model: str) -> VideoForm:
    """The ``POST /v1/videos`` form of an inverse-dynamics request."""
    h, w = request.frames.shape[1:3]
    extra = {
        "action_mode": "inverse",
        "action_chunk_size": request.num_actions,
        "frame_steps": list(request.frame_steps),
        **_spec_extra(request.action_spec, 0),
    }
    fields = {
        "model": model,
        "prompt": request.prompt,
        "width": str(w),
        "height": str(h),
        "num_frames": "0",
        "fps": repr(float(request.fps)),
        "seed": str(int(request.seed)),
        "extra_params": json.dumps(extra),
    }
    return VideoForm(fields, _frames_files(request.frames, request.fps))


def request_from_job_form(
    fields: dict[str, str], files: dict[str, bytes], request_id: str, limits: MediaLimits
) -> VideoActRequest | InverseDynamicsRequest:
    """Rebuild the request of a ``POST /v1/videos`` form (the server side).

    Raises:
        WireFormatError: Missing frames or ``extra_params``, or a malformed field.
        ModelOutputError: A conditioning file does not decode or exceeds ``limits``.
    """
    fields = dict(fields)
    if "extra_params" not in fields:
        raise WireFormatError("need 'extra_params' with action_mode")
    extra = validate(ExtraParams, loads_json(fields.pop("extra_params"), "extra_params"), "extra")
    num_frames = fields.get("num_frames", "16")
    if extra.action_mode == "inverse":
        fields["num_frames"] = "1"  # no video is generated; VideoFields wants >= 1
    form = validate(VideoFields, fields, "videos form")
    frames = conditioning_frames(files, limits)
    spec = ActionSpec(
        kind=extra.action_format or extra.domain_name or "unknown",
        dim=extra.raw_action_dim,
        low=extra.action_low,
        high=extra.action_high,
    )
    if extra.action_mode == "inverse":
        steps = tuple(extra.frame_steps or range(len(frames)))
        if len(steps) != len(frames):
            raise WireFormatError(f"frame_steps has {len(steps)} entries for {len(frames)} frames")
        return InverseDynamicsRequest(
            id=request_id,
            frames=frames,
            frame_steps=steps,
            num_actions=extra.action_chunk_size,
            action_spec=spec,
            prompt=form.prompt,
            fps=form.fps,
            seed=form.seed,
        )
    h, w = frames.shape[1:3]
    limits.check_video(int(num_frames), w, h, "requested video")
    return VideoActRequest(
        id=request_id,
        instruction=form.prompt,
        frames=frames,
        chunk_size=extra.action_chunk_size,
        num_frames=form.num_frames,
        frame_every=extra.frame_every,
        fps=form.fps,
        proprio={k: np.asarray(v, np.float32) for k, v in extra.proprio.items()},
        action_spec=spec,
        domain_name=extra.domain_name,
        step=extra.step,
        seed=form.seed,
    )


def job_object(
    job_id: str, status: str, created: float, actions: Any = None, error: str | None = None
) -> dict[str, Any]:
    """The job object the server returns (module doc)."""
    obj: dict[str, Any] = {
        "id": job_id,
        "object": "video",
        "status": status,
        "created_at": int(created or time.time()),
    }
    if actions is not None:
        obj["actions"] = np.asarray(actions, float).tolist()
    if error is not None:
        obj["error"] = {"message": error}
    return obj


def actions_from_job(obj: Any, chunk_size: int, dim: int) -> np.ndarray:
    """The validated ``(chunk_size, dim)`` float32 actions of a completed job object.

    Raises:
        ModelOutputError: Missing, malformed, non-finite or wrongly shaped actions.
    """
    try:
        actions = np.asarray(obj["actions"], np.float32)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelOutputError(f"vllm-omni: job has no valid 'actions' ({exc})") from None
    if actions.shape != (chunk_size, dim) or not np.isfinite(actions).all():
        raise ModelOutputError(
            f"vllm-omni: actions must be finite ({chunk_size}, {dim}), got {actions.shape}"
        )
    return actions


def policy_output(obj: Any, content: bytes, request: VideoActRequest) -> VideoActionOutput:
    """The :class:`VideoActionOutput` of a completed policy job and its video content."""
    dim = request.action_spec.dim if request.action_spec is not None else 0
    actions = actions_from_job(obj, request.chunk_size, dim)
    h, w = request.frames.shape[1:3]
    video = check_video(decode_video(content, "predicted video"), request.num_frames, w, h)
    return VideoActionOutput(video, actions)


def inverse_output(obj: Any, request: InverseDynamicsRequest) -> ActionChunk:
    """The :class:`ActionChunk` of a completed inverse job."""
    dim = request.action_spec.dim if request.action_spec is not None else 0
    return ActionChunk(actions_from_job(obj, request.num_actions, dim))
