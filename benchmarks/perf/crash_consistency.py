"""Crash consistency: ``kill -9`` at random points, resume, compare with an uninterrupted run.

For each case a real ``cosmos3-eval run`` subprocess is killed with SIGKILL once its
``samples.jsonl`` holds a random number of records (or, for ``early`` points, after a random
delay), then rerun with the same command; the resumed run directory must equal a clean run's:
the same records (by id, latency aside), the same ``metrics.json``, the same artifact bytes,
the same file names (no temp files) and ``status: complete``. Cases alternate over the local
and process executors and over a QA task (physqa-sim-v1, with media) and a policy task
(push-block-v1). The process tree of every killed driver must be gone within 15 s (no
orphans). One extra case fills a 128 KiB tmpfs mid-run (needs root), checks the one-line
failure, frees space and resumes.

    PYTHONPATH=. python benchmarks/perf/crash_consistency.py [--points 20] [--seed 0]

Last line: ``identical=K/N orphans=M``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

CLI = [sys.executable, "-m", "cosmos3_eval.cli", "run", "--no-progress", "--model"]
TASKS = {
    "physqa-sim-v1": (["random", "--tasks", "physqa-sim-v1", "--limit", "32", "--batch-size",
                       "4", "--save-media", "32", "--seed", "1"], 32),
    "push-block-v1": (["oracle", "--tasks", "push-block-v1", "--episodes", "8", "--seed", "1"],
                      8),
}  # fmt: skip


def canonical(run_dir: Path) -> dict:
    """What must be equal between a resumed and an uninterrupted run directory."""
    recs = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    for r in recs:
        r.pop("latency_s", None)
        r.pop("seconds", None)
    files = {
        str(p.relative_to(run_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((run_dir / "artifacts").rglob("*"))
        if p.is_file()
    }
    return {
        "records": sorted(recs, key=lambda r: r["id"]),
        "metrics": json.loads((run_dir / "metrics.json").read_text()),
        "artifacts": files,
        "names": sorted(p.name for p in run_dir.iterdir()),
        "status": json.loads((run_dir / "manifest.json").read_text())["status"],
    }


def _strip_timing(c: dict) -> dict:
    """Wall-clock metrics (seconds per episode) differ between any two runs."""
    m = dict(c["metrics"])
    m["metrics"] = {k: v for k, v in m["metrics"].items() if "second" not in k and "time" not in k}
    return {**c, "metrics": m}


def kill_case(cmd: list[str], out: Path, run_name: str, n: int, rng: random.Random) -> int:
    """Start, SIGKILL at a random point, return the number of orphaned descendants."""
    samples = out / run_name / "samples.jsonl"
    at = rng.randint(0, n - 1)
    proc = subprocess.Popen([*cmd, "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        done = samples.read_bytes().count(b"\n") if samples.exists() else 0
        if done >= at:
            break
        time.sleep(0.005)
    if at == 0:
        time.sleep(rng.uniform(0.0, 3.0))  # start-up, before or while the first record lands
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kids = []
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(kids, timeout=15)
    for p in alive:
        p.kill()
    return len(alive)


def disk_full_case(cmd: list[str], root: Path, clean: dict, run_name: str) -> bool | None:
    """Fill a tmpfs mid-run, free space, resume; ``None`` when tmpfs cannot be mounted."""
    disk = root / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(disk)],
                      capture_output=True).returncode:  # fmt: skip
        return None
    try:
        full = subprocess.run([*cmd, "--out", str(disk)], capture_output=True, text=True)
        one_line = full.returncode == 1 and len(full.stderr.strip().splitlines()) == 1
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = subprocess.run([*cmd, "--out", str(disk)], capture_output=True, text=True)
        same = again.returncode == 0 and canonical(disk / run_name) == clean
        print(f"disk-full: failed-in-one-line={one_line} resumed-identical={same}", flush=True)
        return one_line and same
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=20, help="kill -9 points (all cases)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="crash-consistency-"))
    clean: dict[str, dict] = {}
    for task, (argv, _) in TASKS.items():
        out = root / f"clean-{task}"
        subprocess.run([*CLI, *argv, "--out", str(out)], check=True, capture_output=True)
        (run_dir,) = out.iterdir()
        clean[task] = _strip_timing(canonical(run_dir))
    identical = orphans = total = 0
    for i in range(args.points):
        task = list(TASKS)[i % len(TASKS)]
        executor = ("local", "process")[(i // len(TASKS)) % 2]
        argv, n = TASKS[task]
        cmd = [*CLI, *argv, "--executor", executor, "--workers", "2"]
        out = root / f"kill-{i}"
        run_name = next((root / f"clean-{task}").iterdir()).name
        orphans += kill_case(cmd, out, run_name, n, rng)
        rerun = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True)
        same = rerun.returncode == 0 and _strip_timing(canonical(out / run_name)) == clean[task]
        identical += same
        total += 1
        print(f"{i:2d} {task:14s} {executor:7s} identical={same}", flush=True)
    task = "physqa-sim-v1"
    run_name = next((root / f"clean-{task}").iterdir()).name
    full = disk_full_case([*CLI, *TASKS[task][0]], root, canonical(root / f"clean-{task}" /
                          run_name), run_name)  # fmt: skip
    if full is not None:
        identical += full
        total += 1
    print(f"identical={identical}/{total} orphans={orphans}")


if __name__ == "__main__":
    main()
