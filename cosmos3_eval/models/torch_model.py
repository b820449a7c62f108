"""``torch``: a research checkpoint — a local ``torch.nn.Module`` with safetensors weights.

Model args: ``module=pkg.mod:Class`` (importable, e.g. via ``PYTHONPATH``), ``checkpoint=
path.safetensors``, ``device=auto|cpu|cuda[:i]``, ``revision=...``; every other arg is passed
to ``Class(**kwargs)``. Weights are read with :mod:`safetensors` (never unpickled) and loaded
strictly (a missing or unexpected tensor is an error). The checkpoint's sha256 goes into
:class:`~cosmos3_eval.api.model.ModelInfo` so runs and cache entries name the exact weights.

The module implements any of the capability methods with the suite's types
(``answer(list[QARequest]) -> list[TextOutput]``, ``generate_images``, ``generate_videos``,
``act``, ``act_with_video`` (video + actions), ``infer_actions`` (inverse dynamics)); those
it implements are the model's capabilities. Calls run in eval mode under
``torch.inference_mode()``. A module may set ``action_spec`` (an :class:`ActionSpec`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cosmos3_eval.api.model import Capability, ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.registry import import_target
from cosmos3_eval.errors import ConfigError, UserError


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 hex digest of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


WEIGHT_SUFFIXES = (".safetensors", ".json", ".txt", ".model", ".jinja")
"""Files that define a model directory's behaviour (weights, configs, vocabularies)."""


def tree_sha256(root: Path, suffixes: tuple[str, ...] = WEIGHT_SUFFIXES) -> str:
    """sha256 over a model directory's files with these suffixes (relative names + contents)."""
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix in suffixes:
            h.update(str(f.relative_to(root)).encode() + b"\0")
            h.update(file_sha256(f).encode())
    return h.hexdigest()


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` if available, else ``mps``, else ``cpu``."""
    import torch

    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


@declare_args
class TorchModel:
    """Wraps a user ``nn.Module`` loaded from safetensors weights.

    Args:
        module: ``"pkg.mod:Class"`` of the ``nn.Module``.
        checkpoint: Path of a ``.safetensors`` file with its state dict.
        device: ``auto``, ``cpu``, ``cuda``, ``cuda:1``, ...
        revision: Free-form revision recorded in the manifest (e.g. training step).
        **kwargs: Constructor arguments of the module.

    Raises:
        UserError: Module not importable, checkpoint missing or not safetensors, or the
            weights do not match the module.
    """

    def __init__(
        self,
        module: str | None = None,
        checkpoint: str | None = None,
        device: str = "auto",
        revision: str = "",
        **kwargs: Any,
    ):
        import torch
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        if not module or ":" not in module:
            raise ConfigError("torch: need module=pkg.mod:Class")
        if not checkpoint:
            raise ConfigError("torch: need checkpoint=path.safetensors")
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise UserError(f"torch: checkpoint not found: {path}")
        cls = import_target(module)
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
            raise UserError(f"torch: '{module}' is not a torch.nn.Module class")
        try:
            net = cls(**kwargs)
        except TypeError as exc:
            raise ConfigError(f"torch: cannot build {module} with {kwargs}: {exc}") from exc
        try:
            state = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise UserError(f"torch: {path} is not a valid safetensors file ({exc})") from exc
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            detail = " ".join(line.strip() for line in first[:3])
            raise UserError(f"torch: {path.name} does not match {module}: {detail}") from exc
        self.device = resolve_device(device)
        self.net = net.to(self.device).eval()
        self.capabilities = frozenset(
            c.value for c in Capability if callable(getattr(net, c.value, None))
        )
        if not self.capabilities:
            raise UserError(
                f"torch: {module} implements none of {', '.join(c.value for c in Capability)}"
            )
        self.info = ModelInfo(
            name="torch",
            revision=revision or module,
            checkpoint_sha256=file_sha256(path),
            params={"module": module, "checkpoint": str(path), "device": device, **kwargs},
            action_spec=getattr(net, "action_spec", None),
        )

    def _run(self, method: str, requests: list[Any]) -> list[Any]:
        import torch

        if method not in self.capabilities:
            raise AttributeError(f"{self.info.params['module']} has no {method}()")
        with torch.inference_mode():
            return getattr(self.net, method)(requests)

    def answer(self, requests: list[Any]) -> list[Any]:
        """Delegates to the module's ``answer``."""
        return self._run("answer", requests)

    def generate_images(self, requests: list[Any]) -> list[Any]:
        """Delegates to the module's ``generate_images``."""
        return self._run("generate_images", requests)

    def generate_videos(self, requests: list[Any]) -> list[Any]:
        """Delegates to the module's ``generate_videos``."""
        return self._run("generate_videos", requests)

    def act(self, requests: list[Any]) -> list[Any]:
        """Delegates to the module's ``act``."""
        return self._run("act", requests)

    def act_with_video(self, requests: list[Any]) -> list[Any]:
        """Delegates to the module's ``act_with_video`` (predicted video + action chunk)."""
        return self._run("act_with_video", requests)

    def infer_actions(self, requests: list[Any]) -> list[Any]:
        """Delegates to the module's ``infer_actions`` (inverse dynamics)."""
        return self._run("infer_actions", requests)
