"""Provenance for the manifest: git commit, package versions, platform and simulator facts."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from cosmos3_eval import __version__

_PACKAGES = (
    "numpy", "mujoco", "robosuite", "gymnasium", "torch", "scikit-image", "transformers",
    "diffusers", "openai", "ray", "pydantic",
)  # fmt: skip


def git_info() -> dict[str, Any]:
    """Git commit and dirty flag of the source checkout (``None`` outside a checkout)."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return {"commit": None, "dirty": None}
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that can move a score."""
    out: dict[str, str | None] = {"cosmos3-eval": __version__}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment() -> dict[str, Any]:
    """Python, platform and simulator / renderer facts for the manifest."""
    try:
        mujoco_version: str | None = metadata.version("mujoco")
    except metadata.PackageNotFoundError:
        mujoco_version = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # The GL backend is chosen (and exported) by sim.render before any rendering.
        "simulator": {"mujoco": mujoco_version, "gl_backend": os.environ.get("MUJOCO_GL")},
    }
