import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))  # so helper modules (toybench) import in tests and subprocesses


@pytest.fixture
def toy_task(tmp_path, monkeypatch):
    """A task dir with toy-qa-v1 registered; returns the task id."""
    from cosmos3_eval.api.registry import BENCHMARK_TYPES, MODELS

    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "toy-qa-v1.yaml").write_text(
        "task: toy-qa-v1\ntype: toybench:ToyQA\ndescription: toy\nconfig: {size: 40}\n"
    )
    monkeypatch.setenv("COSMOS3_EVAL_TASKS", str(tasks))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    )
    BENCHMARK_TYPES.register("toy-qa", "toybench:ToyQA")
    MODELS.register("flaky", "toybench:FlakyModel")
    return "toy-qa-v1"
