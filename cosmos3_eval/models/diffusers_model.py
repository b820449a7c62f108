"""``diffusers``: a generator from a local Diffusers pipeline directory.

``path`` is a folder written by ``pipeline.save_pretrained`` and is loaded with
``DiffusionPipeline.from_pretrained(path, local_files_only=True)``: nothing is downloaded.
The pipeline's ``__call__`` decides the capability (``task=auto``): one taking an ``image``
is image-to-video (e.g. Stable Video Diffusion, Cosmos Video2World), otherwise text-to-image.

Each request is generated on its own with ``torch.Generator(device).manual_seed(seed)``, so
an output depends only on its request, never on the batch it came in. For video, the pipeline
is conditioned on the last given frame and generates ``num_frames - K + 1`` frames; its first
frame (the conditioning frame re-rendered) is replaced by the K given frames.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from cosmos3_eval.api.media import check_image, check_video
from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.types import I2VRequest, ImageOutput, T2IRequest, VideoOutput
from cosmos3_eval.errors import ConfigError, ModelOutputError, UserError
from cosmos3_eval.models.torch_model import resolve_device, tree_sha256

_DTYPES = ("float32", "float16", "bfloat16")


def _to_uint8(x: Any) -> np.ndarray:
    """Pipeline ``output_type="np"`` floats in [0, 1] -> uint8."""
    arr = np.asarray(x, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ModelOutputError("diffusers: the pipeline produced NaN / inf pixels")
    return (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@declare_args
class DiffusersModel:
    """Text-to-image or image-to-video from a local pipeline directory.

    Args:
        path: Directory saved by ``save_pretrained``.
        task: ``auto``, ``t2i`` or ``i2v``.
        device: ``auto``, ``cpu``, ``cuda``, ...
        dtype: ``float32``, ``float16`` or ``bfloat16``.
        num_inference_steps: Denoising steps.
        guidance_scale: Classifier-free guidance scale (``None``: the pipeline's default).
        negative_prompt: Optional negative prompt (text-to-image).
        revision: Free-form revision recorded in the manifest.
    """

    def __init__(
        self,
        path: str | None = None,
        task: str = "auto",
        device: str = "auto",
        dtype: str = "float32",
        num_inference_steps: int = 30,
        guidance_scale: float | None = None,
        negative_prompt: str | None = None,
        revision: str = "",
    ):
        import torch
        from diffusers import DiffusionPipeline

        if not path:
            raise ConfigError("diffusers: need path=<pipeline directory>")
        root = Path(path).expanduser()
        if not (root / "model_index.json").is_file():
            raise UserError(f"diffusers: {root} is not a pipeline directory (no model_index.json)")
        if task not in ("auto", "t2i", "i2v"):
            raise ConfigError(f"diffusers: task must be auto, t2i or i2v, not {task!r}")
        if dtype not in _DTYPES:
            raise ConfigError(f"diffusers: dtype must be one of {_DTYPES}, not {dtype!r}")
        try:
            pipe = DiffusionPipeline.from_pretrained(
                str(root),
                local_files_only=True,
                use_safetensors=True,  # never unpickle .bin weights
                torch_dtype=getattr(torch, dtype),
            )
        except (OSError, ValueError) as exc:
            raise UserError(f"diffusers: cannot load {root}: {exc}") from exc
        self.device = resolve_device(device)
        self.pipe = pipe.to(self.device)
        self.pipe.set_progress_bar_config(disable=True)
        self._call_params = set(inspect.signature(self.pipe.__call__).parameters)
        if task == "auto":
            task = "i2v" if "image" in self._call_params else "t2i"
        self.task = task
        self.num_inference_steps = int(num_inference_steps)
        self.guidance_scale = guidance_scale
        self.negative_prompt = negative_prompt
        self.capabilities = frozenset({"generate_images" if task == "t2i" else "generate_videos"})
        self.info = ModelInfo(
            name="diffusers",
            revision=revision or type(pipe).__name__,
            checkpoint_sha256=tree_sha256(root),
            params={
                "path": str(root),
                "task": task,
                "device": device,
                "dtype": dtype,
                "num_inference_steps": num_inference_steps,
                "guidance_scale": guidance_scale,
                "negative_prompt": negative_prompt,
            },
        )

    def _generator(self, seed: int) -> Any:
        import torch

        # CPU generator whatever the device: the same seed gives the same noise everywhere.
        return torch.Generator("cpu").manual_seed(int(seed))

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "num_inference_steps": self.num_inference_steps,
            "output_type": "np",
        }
        if self.guidance_scale is not None and "guidance_scale" in self._call_params:
            kwargs["guidance_scale"] = float(self.guidance_scale)
        return kwargs

    def generate_images(self, requests: list[T2IRequest]) -> list[ImageOutput]:
        """One pipeline call per request at its size and seed."""
        if self.task != "t2i":
            raise AttributeError("this diffusers pipeline is image-to-video")
        out = []
        for r in requests:
            prompt = f"{r.prompt}, {r.style}" if r.style else r.prompt
            kwargs = self._kwargs()
            if self.negative_prompt and "negative_prompt" in self._call_params:
                kwargs["negative_prompt"] = self.negative_prompt
            result = self.pipe(
                prompt=prompt,
                height=r.height,
                width=r.width,
                generator=self._generator(r.seed),
                **kwargs,
            )
            image = _to_uint8(result.images[0])
            out.append(ImageOutput(check_image(image, r.width, r.height, "diffusers image")))
        return out

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput]:
        """One pipeline call per request, conditioned on the last given frame."""
        from PIL import Image

        if self.task != "i2v":
            raise AttributeError("this diffusers pipeline is text-to-image")
        out = []
        for r in requests:
            k, h, w = r.frames.shape[:3]
            new = r.num_frames - k
            if new < 0:
                raise ModelOutputError(f"diffusers: asked for {r.num_frames} frames, given {k}")
            kwargs = self._kwargs()
            if "prompt" in self._call_params:
                kwargs["prompt"] = r.prompt
            if "fps" in self._call_params:
                kwargs["fps"] = max(1, round(r.fps))
            if "decode_chunk_size" in self._call_params:
                kwargs["decode_chunk_size"] = new + 1
            result = self.pipe(
                image=Image.fromarray(r.frames[-1]),
                height=h,
                width=w,
                num_frames=new + 1,
                generator=self._generator(r.seed),
                **kwargs,
            )
            generated = _to_uint8(np.asarray(result.frames)[0])
            video = np.concatenate([r.frames, generated[1 : new + 1]], axis=0)
            out.append(VideoOutput(check_video(video, r.num_frames, w, h, "diffusers video")))
        return out
