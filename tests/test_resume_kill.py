"""SIGKILL a real `cosmos3-eval run` subprocess half-way, rerun it, compare with a clean run."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import psutil
import pytest

from cosmos3_eval.api.records import TIMING_FIELDS

CMD = [
    *(sys.executable, "-m", "cosmos3_eval.cli", "run", "--model", "random"),
    *("--tasks", "physqa-sim-v1", "--limit", "48", "--batch-size", "4", "--seed", "3"),
    "--no-progress",
]


def _records(out):
    path = out / "random__physqa-sim-v1" / "samples.jsonl"
    recs = [json.loads(x) for x in path.read_text().splitlines()]
    for r in recs:
        for key in TIMING_FIELDS:  # wall-clock measurements differ between runs
            r.pop(key, None)
        r.pop("sim_s", None)
        r.pop("call_s", None)
    # Shards of a pool finish in any order; records are keyed by id (never duplicated).
    assert len({r["id"] for r in recs}) == len(recs)
    return sorted(recs, key=lambda r: r["id"])


def _metrics(out):
    return json.loads((out / "random__physqa-sim-v1" / "metrics.json").read_text())


@pytest.mark.parametrize("executor", ["local", "process"])
def test_sigkill_then_resume_equals_uninterrupted(tmp_path, executor):
    """The driver is killed mid-run; with --executor process its workers die with it."""
    clean = tmp_path / "clean"
    subprocess.run([*CMD, "--out", str(clean)], check=True, capture_output=True)
    cmd = [*CMD, "--executor", executor, "--workers", "2"]

    killed = tmp_path / "killed"
    kill_after = random.Random(os.getpid()).randint(6, 36)
    proc = subprocess.Popen([*cmd, "--out", str(killed)], stderr=subprocess.DEVNULL)
    samples = killed / "random__physqa-sim-v1" / "samples.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if samples.exists() and samples.read_bytes().count(b"\n") >= kill_after:
            break
        time.sleep(0.01)
    descendants = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Pool workers and the resource tracker die with the driver: no orphans.
    _, orphans = psutil.wait_procs(descendants, timeout=15)
    assert not orphans, [p.pid for p in orphans]
    if executor == "process":
        assert descendants, "the process pool should have started workers"
    n_before = samples.read_bytes().count(b"\n")
    assert 0 < n_before < 48, "the kill must land mid-run"
    assert not (killed / "random__physqa-sim-v1" / "metrics.json").exists()

    rerun = subprocess.run([*cmd, "--out", str(killed)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "resumed" in rerun.stderr  # it continued the killed run, not a fresh one

    assert _records(killed) == _records(clean)
    assert _metrics(killed) == _metrics(clean)
    manifest = json.loads((killed / "random__physqa-sim-v1" / "manifest.json").read_text())
    assert manifest["status"] == "complete"
