"""Run-directory safety: one writer at a time, duplicate ids refused, finished runs untouched,
a full disk stops the run resumably and the resumed directory equals an uninterrupted one."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cosmos3_eval.api.records import TIMING_FIELDS

from cosmos3_eval.cli.main import main
from cosmos3_eval.errors import DataError
from cosmos3_eval.results.rundir import RunDir

RUN = [sys.executable, "-m", "cosmos3_eval.cli", "run", "--no-progress"]


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_two_identical_runs_in_parallel_one_is_refused(toy_task, tmp_path):
    cmd = [*RUN, "--model", "tests.helpers.toybench:SlowRandom", "--tasks", toy_task,
           "--batch-size", "1", "--out", str(tmp_path / "out")]  # fmt: skip
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert len(refused.strip().splitlines()) == 1 and "in use by another run (pid " in refused
    (run_dir,) = (tmp_path / "out").iterdir()
    run = RunDir(run_dir)
    ids = [json.loads(x)["id"] for x in run.samples_path.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 40


def test_records_refuses_duplicate_ids(tmp_path):
    run = RunDir(tmp_path)
    rec = {"id": "t/000000", "index": 0, "seed": 1, "scores": {}, "error": None}
    run.samples_path.write_text(json.dumps(rec) + "\n" + json.dumps(rec) + "\n")
    with pytest.raises(DataError, match="duplicate record for id 't/000000'"):
        list(run.records())


def test_an_identical_rerun_leaves_a_complete_run_byte_for_byte(toy_task, tmp_path, capsys):
    argv = ["run", "--no-progress", "--model", "random", "--tasks", toy_task, "--out",
            str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    before = _tree(tmp_path)
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "already complete" in captured.out + captured.err
    assert _tree(tmp_path) == before


def _canonical(run_dir: Path) -> dict:
    recs = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    for r in recs:
        for key in TIMING_FIELDS:  # wall-clock measurements differ between any two runs
            r.pop(key, None)
    files = {k: v for k, v in _tree(run_dir).items() if k.startswith("artifacts/")}
    return {
        "records": sorted(recs, key=lambda r: r["id"]),
        "metrics": json.loads((run_dir / "metrics.json").read_text()),
        "artifacts": files,
        "names": sorted(p.name for p in run_dir.iterdir()),
    }


@pytest.fixture
def small_disk(tmp_path):
    """A 96 KiB tmpfs: the media of a few samples fill it (needs root to mount)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(disk)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_disk_full_fails_in_one_line_and_resumes_to_the_uninterrupted_result(
    tmp_path, small_disk
):
    cmd = [*RUN, "--model", "random", "--tasks", "physqa-sim-v1", "--limit", "16",
           "--save-media", "16", "--seed", "2"]  # fmt: skip
    clean = tmp_path / "clean"
    subprocess.run([*cmd, "--out", str(clean)], check=True, capture_output=True)

    full = subprocess.run([*cmd, "--out", str(small_disk)], capture_output=True, text=True)
    assert full.returncode == 1, full.stderr
    assert len(full.stderr.strip().splitlines()) == 1, full.stderr
    assert "No space left on device" in full.stderr and "Traceback" not in full.stderr
    run_dir = small_disk / "random__physqa-sim-v1"
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "failed"

    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    resumed = subprocess.run([*cmd, "--out", str(small_disk)], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert _canonical(run_dir) == _canonical(clean / "random__physqa-sim-v1")
    assert not [p for p in run_dir.rglob("*") if ".tmp" in p.name or p.name.startswith(".")
                and p.name != ".lock"]  # fmt: skip
    assert os.path.getsize(run_dir / ".lock") == 0
