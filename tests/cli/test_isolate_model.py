"""--isolate-model: a model that kills its own process fails the run in one line, not the driver."""

import json
import os
import subprocess
import sys
import textwrap

MODEL = textwrap.dedent(
    """
    import os

    from cosmos3_eval.api.model import ModelInfo
    from cosmos3_eval.api.types import TextOutput


    class Exiter:
        def __init__(self):
            self.info = ModelInfo(name="exiter")

        def answer(self, requests):
            os._exit(3)  # what a crashing native extension looks like to Python
    """
)


def _run(tmp_path, *extra):
    model = tmp_path / "exiter.py"
    model.write_text(MODEL)
    argv = [sys.executable, "-m", "cosmos3_eval.cli", "run", "--model", f"{model}:Exiter",
            "--tasks", "qa-sample-v1", "--limit", "4", "--no-progress", "--out",
            str(tmp_path / "out"), *extra]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)


def test_isolated_model_that_exits_fails_the_run_in_one_line(tmp_path):
    proc = _run(tmp_path, "--isolate-model")
    assert proc.returncode == 1, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    (manifest,) = (tmp_path / "out").glob("*/manifest.json")
    assert json.loads(manifest.read_text())["status"] == "failed"


def test_in_process_model_that_exits_takes_the_driver_down(tmp_path):
    """Why the option exists: without isolation os._exit ends the whole command."""
    proc = _run(tmp_path)
    assert proc.returncode == 3
