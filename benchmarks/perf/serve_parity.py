"""Scores over the network equal in-process scores: `random` in-process vs served.

For each protocol, serves `random` with `cosmos3-eval serve` in a child process, then runs
each task twice through the CLI with the same seeds -- `--model random` and the network
adapter (`openai`, `vllm-omni`, `openpi`) pointed at the server -- and compares the per-record
scores and errors. Also prints the wall time of both runs.

    python benchmarks/perf/serve_parity.py [--limit 8] [--episodes 4] [--out /tmp/parity]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

# The server-subprocess helper lives with the test doubles; run from anywhere in the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.helpers.servers import spawn_server  # noqa: E402

TASKS = {
    "openai": ["physqa-sim-v1", "qa-sample-v1"],
    "vllm-omni": ["compose-t2i-v2", "physics-i2v-v1", "robot-predict-v1"],
    "openpi": ["push-block-v1", "gym-reacher-v1"],
}
CLOSED_LOOP = {"push-block-v1", "gym-reacher-v1"}


def run(model: str, margs: str, task: str, out: Path, n: str) -> tuple[dict | None, float]:
    cmd = ["cosmos3-eval", "run", "--model", model, "--tasks", task, "--out", str(out)]
    cmd += ["--no-progress", *n.split()]
    if margs:
        cmd += ["--model-args", margs]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode:
        print("FAILED:", " ".join(cmd), proc.stderr.strip().splitlines()[-1:])
        return None, took
    run_dir = max(out.iterdir(), key=lambda p: p.stat().st_mtime)
    records = [json.loads(line) for line in open(run_dir / "samples.jsonl")]
    return {r["id"]: (r.get("scores"), r.get("error")) for r in records}, took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--episodes", type=int, default=4)
    ap.add_argument("--out", default="/tmp/cosmos3-serve-parity")
    args = ap.parse_args()
    for proto, tasks in TASKS.items():
        with spawn_server("random", {}, proto) as s:
            margs = {
                "openai": f"base_url={s.url}/v1",
                "vllm-omni": f"base_url={s.url}",
                "openpi": f"port={s.port}",
            }[proto]
            for task in tasks:
                n = (
                    f"--episodes {args.episodes}"
                    if task in CLOSED_LOOP
                    else f"--limit {args.limit}"
                )
                local, t_local = run("random", "", task, Path(args.out, "local", task), n)
                net, t_net = run(proto, margs, task, Path(args.out, "net", task), n)
                if local is None or net is None:
                    continue
                same = sum(local[k] == net.get(k) for k in local)
                errors = sum(1 for v in net.values() if v[1])
                print(
                    f"{task:20s} via {proto:9s}: {same}/{len(local)} records identical, "
                    f"{errors} errors; in-process {t_local:.1f} s, network {t_net:.1f} s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
