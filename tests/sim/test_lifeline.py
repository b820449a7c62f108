"""Workers die with their parent; MuJoCo never writes MUJOCO_LOG.TXT into the cwd."""

import os
import signal
import subprocess
import sys
import time

import psutil

from cosmos3_eval.sim.render import import_mujoco

# A parent that starts one env-worker-like child (arming the death signal) and then waits.
PARENT = """
import multiprocessing as mp, os, sys, time
from cosmos3_eval.sim.lifeline import die_with_parent

def child(parent):
    die_with_parent(parent)
    time.sleep(600)

if __name__ == "__main__":
    p = mp.get_context("spawn").Process(target=child, args=(os.getpid(),))
    p.start()
    print(p.pid, flush=True)
    time.sleep(600)
"""


def test_a_child_dies_when_its_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(parent.stdout.readline()))
    time.sleep(0.5)  # the child arms its death signal first thing
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    child.wait(timeout=10)  # raises TimeoutExpired if it outlived its parent
    assert not child.is_running()


def test_mujoco_warnings_never_write_a_log_into_the_cwd(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    mujoco = import_mujoco()
    model = mujoco.MjModel.from_xml_string(
        '<mujoco><worldbody><body><freejoint/><geom size="1"/></body></worldbody></mujoco>'
    )
    data = mujoco.MjData(model)
    data.qpos[0] = float("nan")  # makes MuJoCo warn (bad qpos)
    mujoco.mj_step(model, data)
    assert "MuJoCo:" in caplog.text
    assert not list(tmp_path.iterdir())
