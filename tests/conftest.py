import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Test doubles are named "tests.helpers.<module>:<attr>"; they must import here and in every
# process a test spawns (env workers, serve subprocesses, Ray workers).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in [str(ROOT), *os.environ.get("PYTHONPATH", "").split(os.pathsep)] if p
)


@pytest.fixture
def toy_task(tmp_path, monkeypatch):
    """A task dir with toy-qa-v1 (the toy benchmark named by module:attr); returns the task id."""
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "toy-qa-v1.yaml").write_text(
        "task: toy-qa-v1\ntype: tests.helpers.toybench:ToyQA\ndescription: toy\n"
        "config: {size: 40}\n"
    )
    monkeypatch.setenv("COSMOS3_EVAL_TASKS", str(tasks))
    return "toy-qa-v1"


@pytest.fixture(scope="session", autouse=True)
def no_child_processes_left_behind():
    """The suite must not leave processes behind (env workers, pool workers, servers).

    Children get a grace period to exit; any still alive fail the session and are killed,
    so a failing check never orphans them either. multiprocessing's resource tracker is the
    exception: it belongs to this process and exits when the pytest process closes its pipe.
    """
    import psutil

    yield
    me = psutil.Process()
    children = [
        p for p in me.children(recursive=True) if "resource_tracker" not in " ".join(_cmd(p))
    ]
    _, alive = psutil.wait_procs(children, timeout=15)
    if alive:
        described = [f"{p.pid} {' '.join(p.cmdline()[:4])}" for p in alive if p.is_running()]
        for p in alive:
            p.kill()
        pytest.fail(f"processes left behind by the tests: {described}")


def _cmd(proc) -> list[str]:
    import psutil

    try:
        return proc.cmdline()
    except psutil.Error:  # exited meanwhile
        return []
