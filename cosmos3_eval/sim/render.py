"""Headless MuJoCo rendering with fast software-GL defaults.

Backend choice: ``MUJOCO_GL`` if the user set it; otherwise the first of EGL and OSMesa that
can create a context, probed once in a subprocess (the choice must be made before mujoco's GL
module is imported and cannot be undone in-process). The probe result is exported in
``MUJOCO_GL`` (and ``PYOPENGL_PLATFORM``) so worker processes inherit it.

Fast settings (measured on Mesa llvmpipe: 22 -> 657 frames/s at 128x128): shadows and
reflections off and ``offsamples = 0`` (no multisampling). They are part of every task's
version and are recorded in the manifest via :func:`render_provenance`.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
from typing import Any

from cosmos3_eval.errors import UserError

_BACKENDS = ("egl", "osmesa")
_APT_HINT = (
    "no headless OpenGL backend works: install the Debian packages "
    "'libegl1 libegl-mesa0 libgl1-mesa-dri' (EGL) or 'libosmesa6' (OSMesa), "
    "e.g. 'sudo apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6'"
)
_PROBE = (
    'import mujoco; m = mujoco.MjModel.from_xml_string(\'<mujoco><worldbody><geom size=".1"/>'
    "</worldbody></mujoco>'); r = mujoco.Renderer(m, 8, 8); d = mujoco.MjData(m); "
    "r.update_scene(d); r.render(); r.close()"
)

FAST_RENDER_SETTINGS: dict[str, Any] = {
    "shadows": False,
    "reflections": False,
    "offsamples": 0,
}
"""Render settings used by every benchmark (recorded in manifests)."""


def _probe(backend: str) -> bool:
    env = dict(os.environ, MUJOCO_GL=backend, PYOPENGL_PLATFORM=backend)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE], env=env, capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def ensure_gl() -> str:
    """Select the headless GL backend (idempotent) and return its name.

    Raises:
        UserError: No backend works; the message names the Debian packages to install.
    """
    chosen = os.environ.get("MUJOCO_GL")
    if chosen:
        os.environ.setdefault("PYOPENGL_PLATFORM", chosen if chosen != "glfw" else "")
        return chosen
    for backend in _BACKENDS:
        if _probe(backend):
            os.environ["MUJOCO_GL"] = backend
            os.environ["PYOPENGL_PLATFORM"] = backend
            return backend
    raise UserError(_APT_HINT)


def single_threaded_gl() -> None:
    """Make Mesa's llvmpipe rasterise on one thread in this (worker) process.

    llvmpipe uses every core by default, so N render-heavy workers on N cores fight over the
    same cores: measured on 2 cores, 2 env workers gave 1.13x one worker with the default and
    1.71x with one thread each. Call before the first GL context; a user's own
    ``LP_NUM_THREADS`` wins. Pixels do not depend on the thread count (tested).
    """
    os.environ.setdefault("LP_NUM_THREADS", "1")


def import_mujoco() -> Any:
    """Import mujoco after choosing the GL backend; every module of the suite uses this.

    Importing mujoco before the backend is chosen locks in GLFW, which fails headless.
    """
    ensure_gl()
    import mujoco

    if mujoco.get_mju_user_warning() is None:
        # Without a handler MuJoCo appends warnings to MUJOCO_LOG.TXT in the current directory.
        mujoco.set_mju_user_warning(_mujoco_warning)
    return mujoco


def _mujoco_warning(message: str) -> None:
    """MuJoCo's warnings go to the ``cosmos3_eval.mujoco`` logger, never to a file in cwd."""
    logging.getLogger("cosmos3_eval.mujoco").warning("MuJoCo: %s", message)


def apply_fast_settings(model: Any, width: int, height: int) -> None:
    """Set the model-side fast render settings and size the offscreen buffer.

    Args:
        model: ``mujoco.MjModel``.
        width: Largest image width that will be rendered.
        height: Largest image height that will be rendered.
    """
    model.vis.quality.offsamples = FAST_RENDER_SETTINGS["offsamples"]
    model.vis.global_.offwidth = max(int(model.vis.global_.offwidth), width)
    model.vis.global_.offheight = max(int(model.vis.global_.offheight), height)


def make_renderer(model: Any, width: int, height: int) -> Any:
    """A ``mujoco.Renderer`` with the fast settings applied.

    Args:
        model: ``mujoco.MjModel`` (modified: offscreen buffer size and offsamples).
        width: Image width.
        height: Image height.
    """
    mujoco = import_mujoco()
    apply_fast_settings(model, width, height)
    renderer = mujoco.Renderer(model, height=height, width=width)
    disable_costly_flags(renderer.scene)
    if not _LIVE_HOOKED:
        # atexit runs hooks last-in first-out: registering after mujoco's EGL import makes
        # ours run first, so renderers close while their GL context still exists.
        atexit.register(_close_renderers)
        _LIVE_HOOKED.append(True)
    _LIVE.append(renderer)
    return renderer


_LIVE: list[Any] = []
_LIVE_HOOKED: list[bool] = []


def _close_renderers() -> None:
    # Closing before interpreter teardown avoids EGL errors from __del__ at exit.
    while _LIVE:
        try:
            _LIVE.pop().close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def disable_costly_flags(scene: Any) -> None:
    """Switch off shadows and reflections on an ``MjvScene`` (persists across updates)."""
    import mujoco

    scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
    scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0


def render_provenance() -> dict[str, Any]:
    """Renderer facts for the manifest: backend, MuJoCo version, settings."""
    backend = ensure_gl()
    import mujoco

    return {
        "mujoco": mujoco.__version__,
        "gl_backend": backend,
        "settings": dict(FAST_RENDER_SETTINGS),
    }
