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
