"""Coverage of the suite's 95 % intervals and type-I error of its paired tests, at every n.

Binary coverage is computed exactly (sum of Binomial(n, p) probabilities of the counts whose
interval holds p), so the grid has no simulation noise. Paired CIs, continuous CIs and type-I
errors are simulated with a fixed seed. Runs in well under a minute on one core.

    PYTHONPATH=. python benchmarks/perf/ci_coverage.py

Last line: ``min_coverage=X max_coverage=Y`` over the binary (n, p) grid for the interval
reported metrics use (mid-p exact).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from cosmos3_eval.scorers import intervals, stats

NS = (5, 10, 20, 30, 50, 100, 300, 1000)
PS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98)


def binary_coverage(method: str) -> np.ndarray:
    """Exact coverage on the NS x PS grid for one interval method."""
    out = np.empty((len(NS), len(PS)))
    for i, n in enumerate(NS):
        x = np.arange(n + 1)
        if method == "midp":
            lo, hi = intervals.midp_ci(x, n)
        elif method == "wilson":
            lo, hi = np.array([stats.wilson_ci(int(k), n) for k in x]).T
        else:  # the old binary bootstrap: quantiles of Binomial(n, x/n) / n, exactly
            lo, hi = binom.ppf(0.025, n, x / n) / n, binom.ppf(0.975, n, x / n) / n
        for j, p in enumerate(PS):
            pmf = binom.pmf(x, n, p)
            out[i, j] = pmf[(lo <= p) & (p <= hi)].sum()
    return out


def paired_binary_coverage(rng: np.random.Generator, reps: int = 4000) -> list[str]:
    """Simulated coverage of paired_binary_ci for correlated pairs (Gaussian copula, rho 0.5)."""
    rows = []
    for n in (5, 10, 30, 100, 300):
        for pb, pn in ((0.5, 0.5), (0.7, 0.6), (0.9, 0.7), (0.3, 0.35)):
            z = rng.standard_normal((reps, n, 2))
            z[..., 1] = 0.5 * z[..., 0] + np.sqrt(0.75) * z[..., 1]
            from scipy.stats import norm

            b = norm.cdf(z[..., 0]) < pb
            w = norm.cdf(z[..., 1]) < pn
            lost, gained = (b & ~w).sum(1), (~b & w).sum(1)
            cache: dict[tuple[int, int], tuple[float, float]] = {}
            hit = 0
            for k_lost, k_gained in zip(lost.tolist(), gained.tolist(), strict=True):
                key = (k_lost, k_gained)
                if key not in cache:
                    cache[key] = intervals.paired_binary_ci(k_lost, k_gained, n)
                lo, hi = cache[key]
                hit += lo <= pn - pb <= hi
            rows.append(f"  n={n:<4d} base={pb:.2f} new={pn:.2f} coverage={hit / reps:.3f}")
    return rows


def type_one_errors(rng: np.random.Generator, reps: int = 2000) -> list[str]:
    """Rejection rate at alpha = 0.05 when base and new are exchangeable (no true effect)."""
    rows = []
    for n in (5, 10, 30):
        # Binary: identical success rate 0.6, correlated pairs -> McNemar.
        z = rng.standard_normal((reps, n, 2))
        b, w = z[..., 0] < 0.25, z[..., 1] < 0.25
        lost, gained = (b & ~w).sum(1), (~b & w).sum(1)
        mc = np.mean([stats.mcnemar_exact(x, y) < 0.05 for x, y in zip(lost, gained, strict=True)])
        # Continuous bounded scores (skewed Beta(2, 5)) and 5-level discrete scores.
        cont = rng.beta(2, 5, (reps, n, 2))
        disc = rng.integers(0, 5, (reps, n, 2)) / 4
        res = {}
        for name, data in (("beta", cont), ("5-level", disc)):
            t_rej = np.mean([intervals.paired_t(s[:, 0], s[:, 1]).p_value < 0.05 for s in data])
            sf_rej = np.mean(
                [
                    intervals.sign_flip_test(s[:, 0], s[:, 1], seed=k, n_flips=2000) < 0.05
                    for k, s in enumerate(data)
                ]
            )
            res[name] = (t_rej, sf_rej)
        boot = np.mean(
            [stats.paired_bootstrap(s[:, 0], s[:, 1], n_boot=1000)[1] < 0.05 for s in cont[:500]]
        )
        rows.append(
            f"  n={n:<3d} mcnemar={mc:.3f}  paired-t beta={res['beta'][0]:.3f} "
            f"5-level={res['5-level'][0]:.3f}  sign-flip beta={res['beta'][1]:.3f} "
            f"5-level={res['5-level'][1]:.3f}  (old paired-bootstrap beta={boot:.3f})"
        )
    return rows


def continuous_coverage(rng: np.random.Generator, reps: int = 2000) -> list[str]:
    """Simulated coverage of metric_ci on skewed continuous scores in [0, 1]."""
    rows = []
    for a, b in ((2.0, 5.0), (0.5, 0.5)):
        mean = a / (a + b)
        cells = []
        for n in (5, 10, 30, 100):
            data = rng.beta(a, b, (reps, n))
            hit = np.mean([lo <= mean <= hi for lo, hi in (intervals.t_ci(x) for x in data)])
            cells.append(f"n={n}:{hit:.3f}")
        rows.append(f"  t-interval Beta({a:g},{b:g}) " + " ".join(cells))
    return rows


def main() -> None:
    """Print the tables and the summary line."""
    rng = np.random.default_rng(20240612)
    grids = {m: binary_coverage(m) for m in ("midp", "wilson", "bootstrap")}
    print("binary 95 % interval coverage (exact), rows n, columns p")
    print("n     " + " ".join(f"{p:>5.2f}" for p in PS))
    for i, n in enumerate(NS):
        print(f"{n:<5d} " + " ".join(f"{100 * c:5.1f}" for c in grids["midp"][i]))
    for m, g in grids.items():
        lo, hi, avg = 100 * g.min(), 100 * g.max(), 100 * g.mean()
        print(f"{m:>9s}: min {lo:.1f} %  max {hi:.1f} %  mean {avg:.1f} %")
    print("paired binary CI (conditional exact x mid-p) coverage, simulated:")
    print("\n".join(paired_binary_coverage(rng)))
    print("continuous CI coverage, simulated:")
    print("\n".join(continuous_coverage(rng)))
    print("type-I error at alpha = 0.05 under no effect, simulated:")
    print("\n".join(type_one_errors(rng)))
    g = grids["midp"]
    print(f"min_coverage={g.min():.3f} max_coverage={g.max():.3f}")


if __name__ == "__main__":
    main()
