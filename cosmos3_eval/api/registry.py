"""Lazy ``"module:attr"`` registries with did-you-mean.

Nothing is imported until an entry is used, so ``import cosmos3_eval`` and ``cosmos3-eval list``
stay light (no torch, mujoco, robosuite, ray or transformers). Add an entry by adding one line
to the dicts below; third parties may call :meth:`Registry.register`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from cosmos3_eval.errors import ConfigError, UserError, unknown


class Registry:
    """A name -> ``"module:attr"`` map that imports on first use.

    Args:
        kind: What the entries are ("model", "benchmark type"), used in error messages.
        entries: Initial name -> target map.
    """

    def __init__(self, kind: str, entries: dict[str, str]):
        self.kind = kind
        self._entries = dict(entries)

    def register(self, name: str, target: str) -> None:
        """Add or replace an entry; ``target`` is ``"package.module:attr"``."""
        if ":" not in target:
            raise ValueError(f"registry target must be 'module:attr', got {target!r}")
        self._entries[name] = target

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def target(self, name: str) -> str:
        """The ``"module:attr"`` string of an entry (raises UnknownNameError).

        A name that is itself ``"module:attr"`` refers to that object directly, so third-party
        benchmarks and models work without registration (also in worker processes).
        """
        if name not in self._entries and ":" in name.lstrip(":"):
            return name
        if name not in self._entries:
            raise unknown(self.kind, name, self._entries)
        return self._entries[name]

    def load(self, name: str) -> Any:
        """Import and return the object behind ``name``."""
        return import_target(self.target(name))


def import_target(target: str) -> Any:
    """Import ``"pkg.mod:attr"`` or ``"path/to/file.py:attr"`` (attr may be dotted).

    The current directory is on the import path (appended, so it never shadows an installed
    package), as it is for ``python -m``: a model in ``./my_model.py`` is ``my_model:MyModel``.
    Errors are one-line user errors.
    """
    module_name, _, attr = target.rpartition(":")
    if not module_name or not attr:
        raise ConfigError(f"expected 'module:attr' or 'path/to/file.py:attr', got '{target}'")
    if module_name.endswith(".py") or "/" in module_name or os.sep in module_name:
        obj: Any = _import_file(Path(module_name), target)
    else:
        obj = _import_module(module_name, target)
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UserError(f"'{module_name}' has no attribute '{attr}'")
        obj = getattr(obj, part)
    return obj


def _import_module(module_name: str, target: str) -> Any:
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise UserError(f"cannot import module '{module_name}' for '{target}'") from exc
        raise UserError(
            f"'{target}' needs the package '{exc.name}', which is not installed "
            "(see the README's optional extras)"
        ) from exc


def _import_file(path: Path, target: str) -> Any:
    """Import a Python file once, under a name derived from its absolute path."""
    path = path.resolve()
    if not path.is_file():
        raise UserError(f"no such file: {path} (for '{target}')")
    # The same file always gets the same module name, so worker processes and a second
    # import agree and classes defined in it compare equal.
    name = "cosmos3_user_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"cannot import {path} (for '{target}')")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # Its own folder is importable, so the file can import its sibling modules.
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        del sys.modules[name]
        raise UserError(f"{path}: cannot import '{exc.name}' (for '{target}')") from exc
    except BaseException:
        del sys.modules[name]
        raise
    return module


_BUILTIN_MODELS = {
    "random": "cosmos3_eval.models.baselines:RandomModel",
    "oracle": "cosmos3_eval.models.baselines:OracleModel",
    "blind": "cosmos3_eval.models.blind:BlindModel",
    "blank": "cosmos3_eval.models.image_baselines:BlankModel",
    "fixed-scene": "cosmos3_eval.models.image_baselines:FixedSceneModel",
    "static": "cosmos3_eval.models.video_baselines:StaticVideoModel",
    "const-velocity": "cosmos3_eval.models.video_baselines:ConstVelocityModel",
    "all-black": "cosmos3_eval.models.do_nothing_video:all_black",
    "mean-frame": "cosmos3_eval.models.do_nothing_video:mean_frame",
    "blurred-last": "cosmos3_eval.models.do_nothing_video:blurred_last",
    "reversed-context": "cosmos3_eval.models.do_nothing_video:reversed_context",
    "ping-pong": "cosmos3_eval.models.do_nothing_video:ping_pong",
    "twin": "cosmos3_eval.models.do_nothing_video:TwinModel",
    "twin-lag": "cosmos3_eval.models.do_nothing_video:twin_lag",
    "action-shift": "cosmos3_eval.models.world_baselines:ActionShiftModel",
    "openai": "cosmos3_eval.models.openai_api:OpenAIChatModel",
    "vllm-omni": "cosmos3_eval.models.vllm_omni:VllmOmniModel",
    "openpi": "cosmos3_eval.models.openpi:OpenPIModel",
    "diffusers": "cosmos3_eval.models.diffusers_model:DiffusersModel",
    "torch": "cosmos3_eval.models.torch_model:TorchModel",
    "hf": "cosmos3_eval.models.hf_model:HFModel",
    "zero": "cosmos3_eval.models.policy_baselines:ZeroModel",
    "cosmos-policy": "cosmos3_eval.models.cosmos_policy:CosmosPolicyModel",
    "miscalibrated": "cosmos3_eval.models.consistency_baselines:MiscalibratedModel",
    "dreamer": "cosmos3_eval.models.consistency_baselines:DreamerModel",
    "still": "cosmos3_eval.models.consistency_baselines:StillModel",
}

MODELS = Registry("model", _BUILTIN_MODELS)
"""Built-in models and adapters. The factory is called with the ``--model-args`` as kwargs."""

PRIVILEGED: dict[str, str] = {
    "oracle": "cosmos3_eval.models.baselines:OracleModel",
    "twin": "cosmos3_eval.models.do_nothing_video:TwinModel",
    "twin-lag": "cosmos3_eval.models.do_nothing_video:TwinModel",
    # "Consistent but wrong" references of the consistency tasks: they read the true state to
    # imagine a deliberately miscalibrated (or a successful but unacted) future.
    "miscalibrated": "cosmos3_eval.models.consistency_baselines:MiscalibratedModel",
    "dreamer": "cosmos3_eval.models.consistency_baselines:DreamerModel",
}
"""The models granted privileged ground truth: registry name -> the package class they build.

Privilege is granted here, never declared: a model receives ``request.privileged`` only if it
was built from one of these names while the name still points at its built-in target, and it
is an instance of exactly that class (see :func:`privileged_target`). Any other model whose
``ModelInfo`` says ``privileged=True`` is refused before its run directory exists.
"""


def privileged_target(name: str) -> str | None:
    """The package class a privileged model ``name`` must be, or ``None`` if not granted.

    ``name`` may be a registry name or a ``module:attr`` string; either way privilege is
    granted only when it resolves to the built-in target of a :data:`PRIVILEGED` entry (a
    re-registered ``oracle`` pointing elsewhere is not granted).
    """
    target = MODELS.target(name) if name in MODELS or ":" in name else None
    for granted, cls in PRIVILEGED.items():
        if target is not None and target == _BUILTIN_MODELS[granted]:
            return cls
    return None


BENCHMARK_TYPES = Registry(
    "benchmark type",
    {
        "physqa-sim": "cosmos3_eval.benchmarks.qa:PhysQASim",
        "qa-jsonl": "cosmos3_eval.benchmarks.qa_jsonl:JsonlQA",
        "compose-t2i": "cosmos3_eval.benchmarks.t2i:ComposeT2I",
        "physics-i2v": "cosmos3_eval.benchmarks.i2v:PhysicsI2V",
        "robot-predict": "cosmos3_eval.benchmarks.world:RobotPredict",
        "robosuite": "cosmos3_eval.benchmarks.policy:RobosuitePolicy",
        "gym-mujoco": "cosmos3_eval.benchmarks.policy:GymMujocoPolicy",
        "push-block": "cosmos3_eval.benchmarks.policy:PushBlockPolicy",
        "libero": "cosmos3_eval.benchmarks.libero:LiberoPolicy",
        "imagine-push": "cosmos3_eval.benchmarks.consistency:ImaginePush",
        "inverse-push": "cosmos3_eval.benchmarks.consistency_open:InversePush",
        "joint-push": "cosmos3_eval.benchmarks.consistency_open:JointPush",
    },
)
"""Benchmark classes, referenced by the ``type:`` key of task files in ``tasks/``."""
