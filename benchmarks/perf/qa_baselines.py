"""physqa-sim must-show check: oracle accuracy and random-vs-chance, overall and per type.

Run: python benchmarks/perf/qa_baselines.py [N] [SEED]   (default N=500, SEED=0)

Goes through the benchmark API exactly as the runner does (sample -> request -> model ->
score). Chance of a sample is 1/#choices, or 1/10 for numeric questions (the random baseline
answers 0-9); the random accuracy is compared with the 95% interval of that chance.
"""

from __future__ import annotations

import math
import sys
import time
from collections import defaultdict
from pathlib import Path

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.benchmarks.qa import PhysQAConfig, PhysQASim
from cosmos3_eval.models.baselines import OracleModel, RandomModel

TASK = "physqa-sim-v1"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    base = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    bench = PhysQASim(TASK, PhysQAConfig(), Path("tasks"))
    oracle, rnd = OracleModel(), RandomModel()
    rows: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    t0 = time.perf_counter()
    try:
        for i in range(n):
            s = bench.sample(i, derive_seed(TASK, i, base))
            req_o = bench.request(s, privileged=True)
            req_r = bench.request(s, privileged=False)
            o = bench.score(s, req_o, oracle.answer([req_o])[0]).scores["accuracy"].value
            r = bench.score(s, req_r, rnd.answer([req_r])[0]).scores["accuracy"].value
            chance = 1 / len(s.data["choices"]) if s.data["choices"] else 0.1
            rows[s.category].append((o, r, chance))
            rows["ALL"].append((o, r, chance))
    finally:
        bench.close()
    dt = time.perf_counter() - t0
    print(f"n={n} seed={base} ({dt:.0f} s)")
    print(
        f"{'type':12s} {'n':>4s} {'oracle':>7s} {'random':>7s} {'chance':>7s} "
        f"{'chance 95% interval':>20s} {'in CI':>6s}"
    )
    for cat in sorted(rows, key=lambda c: (c == "ALL", c)):
        v = rows[cat]
        k = len(v)
        o = sum(x[0] for x in v) / k
        r = sum(x[1] for x in v) / k
        p = sum(x[2] for x in v) / k
        sd = math.sqrt(sum(x[2] * (1 - x[2]) for x in v)) / k
        lo, hi = p - 1.96 * sd, p + 1.96 * sd
        ok = "yes" if lo <= r <= hi else "NO"
        print(f"{cat:12s} {k:4d} {o:7.3f} {r:7.3f} {p:7.3f} [{lo:7.3f}, {hi:7.3f}] {ok:>6s}")


if __name__ == "__main__":
    main()
