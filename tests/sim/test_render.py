"""Headless rendering: backend choice, fast settings, and thread-count-independent pixels."""

import os
import subprocess
import sys

import pytest

from cosmos3_eval.sim.render import FAST_RENDER_SETTINGS, render_provenance

SCENE = """
import hashlib
from cosmos3_eval.sim.render import import_mujoco, make_renderer
mujoco = import_mujoco()
m = mujoco.MjModel.from_xml_string('''<mujoco><worldbody><light pos="0 0 3"/>
<geom type="plane" size="1 1 .1" rgba=".8 .8 .8 1"/>
<geom type="box" size=".1 .2 .1" pos="0 0 .1" rgba="1 0 0 1"/>
<geom type="sphere" size=".1" pos=".3 .1 .1" rgba="0 0 1 1"/>
<camera name="c" pos="1 -1 1" xyaxes="1 1 0 -0.4 0.4 1"/></worldbody></mujoco>''')
d = mujoco.MjData(m); mujoco.mj_forward(m, d)
r = make_renderer(m, 96, 96); r.update_scene(d, camera="c")
print(hashlib.sha256(r.render().tobytes()).hexdigest())
"""


def _render_hash(**env):
    proc = subprocess.run(
        [sys.executable, "-c", SCENE], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_pixels_do_not_depend_on_llvmpipe_threads_or_backend():
    base = _render_hash(LP_NUM_THREADS="1")
    assert _render_hash(LP_NUM_THREADS="2") == base
    if os.path.exists("/usr/lib/x86_64-linux-gnu/libOSMesa.so.8"):
        assert _render_hash(MUJOCO_GL="osmesa", PYOPENGL_PLATFORM="osmesa") == base


def test_provenance_names_backend_and_fast_settings():
    prov = render_provenance()
    assert prov["gl_backend"] in ("egl", "osmesa")
    assert prov["settings"] == FAST_RENDER_SETTINGS
    assert prov["settings"]["offsamples"] == 0 and prov["settings"]["shadows"] is False


def test_no_backend_gives_one_line_naming_the_packages():
    code = (
        "import os\n"
        "os.environ.pop('MUJOCO_GL', None)\n"
        "import cosmos3_eval.sim.render as r\n"
        "r._BACKENDS = ('nonexistent-backend',)\n"
        "try:\n    r.ensure_gl()\nexcept Exception as e:\n    print(e)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MUJOCO_GL"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "libegl1" in out.stdout and "libosmesa6" in out.stdout
    assert len(out.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize("backend", ["egl"])
def test_user_choice_of_backend_is_respected(backend):
    code = "from cosmos3_eval.sim.render import ensure_gl; print(ensure_gl())"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "MUJOCO_GL": backend},
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.stdout.strip() == backend
