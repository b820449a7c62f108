"""Prove a refactor left every score unchanged: run suites, then diff two result trees.

Usage::

    python scripts/scores_unchanged.py run OUT            # quick + ci, oracle + random, seed 0
    python scripts/scores_unchanged.py diff BEFORE AFTER  # identical records and metrics?

``diff`` compares every run directory in BEFORE with its namesake in AFTER:
``samples.jsonl`` records (by id, ignoring timing fields and provenance fields that name
modules) and every ``metrics.json`` value. It prints one line per run directory and a final
``key=value`` summary; exit 0 when everything is identical, 1 otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SUITES = ("quick", "ci")
MODELS = ("oracle", "random")
# Wall-clock measurements differ between any two runs; module paths move in a redesign.
IGNORED = {"latency_s", "wall_s", "seconds", "elapsed_s", "sim_s", "model_s", "type"}


def run(out: Path) -> int:
    """Run every (suite, model) pair into ``out/<suite>``."""
    for suite in SUITES:
        for model in MODELS:
            cmd = ["cosmos3-eval", "run", "--model", model, "--suite", suite, "--seed", "0",
                   "--out", str(out / suite), "--no-progress"]  # fmt: skip
            print("+", " ".join(cmd), flush=True)
            rc = subprocess.call(cmd)
            if rc != 0:
                return rc
    return 0


def _strip(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in IGNORED}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _records(path: Path) -> dict[str, object]:
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            out[rec["id"]] = _strip(rec)
    return out


def _metrics(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    return {k: v.get("value") for k, v in data["metrics"].items()}


def diff(before: Path, after: Path) -> int:
    """Compare every run directory under ``before`` with the same path under ``after``."""
    runs = sorted(p.parent for p in before.rglob("metrics.json"))
    bad = 0
    n_records = 0
    for b in runs:
        a = after / b.relative_to(before)
        name = str(b.relative_to(before))
        if not (a / "metrics.json").is_file():
            print(f"MISSING  {name}")
            bad += 1
            continue
        rb, ra = _records(b / "samples.jsonl"), _records(a / "samples.jsonl")
        n_records += len(rb)
        diffs = [i for i in sorted(set(rb) | set(ra)) if rb.get(i) != ra.get(i)]
        mb, ma = _metrics(b / "metrics.json"), _metrics(a / "metrics.json")
        mdiff = sorted(k for k in set(mb) | set(ma) if mb.get(k) != ma.get(k))
        if diffs or mdiff:
            bad += 1
            print(f"DIFFERS  {name}: {len(diffs)} records, metrics {mdiff[:5]}")
            for i in diffs[:2]:
                x, y = rb.get(i) or {}, ra.get(i) or {}
                keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                print(f"         {i}: fields {keys}")
        else:
            print(f"same     {name}: {len(rb)} records, {len(mb)} metrics")
    print(f"run_dirs={len(runs)} records={n_records} differing_run_dirs={bad}")
    return 1 if bad or not runs else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "run":
        sys.exit(run(Path(sys.argv[2])))
    if len(sys.argv) == 4 and sys.argv[1] == "diff":
        sys.exit(diff(Path(sys.argv[2]), Path(sys.argv[3])))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
