"""``hf``: a local transformers image-text-to-text model directory (a research checkpoint).

Loads ``AutoProcessor`` and ``AutoModelForImageTextToText`` (falling back to
``AutoModelForVision2Seq`` for older layouts) from ``path`` with ``local_files_only=True``
and safetensors weights only. The prompt is built with the processor's chat template
(images first, then the question with ``"A. ..."`` options as the ``openai`` adapter renders
them); without a template, one image token per image is prepended to the text. A video is
given as ``video_frames`` evenly spaced frames, passed as images (every image-text model
accepts that; native video inputs differ per family).

Generation is greedy by default; with ``temperature > 0`` it samples from a generator seeded
by the request's seed. Each request is generated alone, so padding in a batch never changes
an answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.types import QARequest, TextOutput
from cosmos3_eval.errors import ConfigError, UserError
from cosmos3_eval.models.torch_model import resolve_device, tree_sha256
from cosmos3_eval.protocols.openai import render_question


@declare_args
class HFModel:
    """Answers questions with a local transformers image-text-to-text model.

    Args:
        path: Model directory (``save_pretrained`` of the model and its processor).
        device: ``auto``, ``cpu``, ``cuda``, ...
        dtype: ``float32``, ``float16`` or ``bfloat16``.
        max_new_tokens: Answer length limit.
        temperature: 0 = greedy; otherwise sampling seeded by each request's seed.
        video_frames: Frames sampled from a video and given as images.
        revision: Free-form revision recorded in the manifest.
    """

    def __init__(
        self,
        path: str | None = None,
        device: str = "auto",
        dtype: str = "float32",
        max_new_tokens: int = 32,
        temperature: float = 0.0,
        video_frames: int = 8,
        revision: str = "",
    ):
        import torch
        import transformers

        if not path:
            raise ConfigError("hf: need path=<model directory>")
        if dtype not in ("float32", "float16", "bfloat16"):
            raise ConfigError(f"hf: dtype must be float32, float16 or bfloat16, not {dtype!r}")
        root = Path(path).expanduser()
        if not (root / "config.json").is_file():
            raise UserError(f"hf: {root} is not a transformers model directory (no config.json)")
        auto = (
            getattr(transformers, "AutoModelForImageTextToText", None)
            or transformers.AutoModelForVision2Seq
        )
        try:
            self.processor = transformers.AutoProcessor.from_pretrained(
                str(root), local_files_only=True
            )
            model = auto.from_pretrained(
                str(root),
                local_files_only=True,
                use_safetensors=True,  # never unpickle
                dtype=getattr(torch, dtype),
            )
        except (OSError, ValueError, KeyError) as exc:
            raise UserError(f"hf: cannot load {root}: {exc}") from exc
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.max_new_tokens = int(max_new_tokens)
        self.temperature = float(temperature)
        self.video_frames = max(1, int(video_frames))
        self.info = ModelInfo(
            name="hf",
            revision=revision or type(model).__name__,
            checkpoint_sha256=tree_sha256(root),
            params={
                "path": str(root),
                "device": device,
                "dtype": dtype,
                "max_new_tokens": max_new_tokens,
                "temperature": temperature,
                "video_frames": video_frames,
            },
        )

    def _images(self, r: QARequest) -> list[np.ndarray]:
        images = list(r.images)
        if r.video is not None:
            idx = np.linspace(0, len(r.video) - 1, min(self.video_frames, len(r.video)))
            images.extend(r.video[int(round(i))] for i in idx)
        return images

    def _prompt(self, r: QARequest, n_images: int) -> str:
        question = render_question(r.question, r.choices)
        if getattr(self.processor, "chat_template", None):
            content: list[dict[str, Any]] = [{"type": "image"} for _ in range(n_images)]
            content.append({"type": "text", "text": question})
            return self.processor.apply_chat_template(
                [{"role": "user", "content": content}], add_generation_prompt=True, tokenize=False
            )
        token = getattr(self.processor, "image_token", "<image>")
        return token * n_images + question

    def _one(self, r: QARequest) -> TextOutput:
        import torch

        images = self._images(r)
        text = self._prompt(r, len(images))
        inputs = self.processor(images=images or None, text=[text], return_tensors="pt").to(
            self.device
        )
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": False}
        if self.temperature > 0:
            kwargs.update(do_sample=True, temperature=self.temperature)
            torch.manual_seed(int(r.seed))  # generate() draws from the global generator
        with torch.inference_mode():
            out = self.model.generate(**inputs, **kwargs)
        new_tokens = out[:, inputs["input_ids"].shape[1] :]
        answer = self.processor.batch_decode(new_tokens, skip_special_tokens=True)[0]
        return TextOutput(answer.strip())

    def answer(self, requests: list[QARequest]) -> list[TextOutput]:
        """Answer each request with one ``generate`` call."""
        return [self._one(r) for r in requests]
