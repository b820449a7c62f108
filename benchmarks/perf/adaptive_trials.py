"""Adaptive trials: error control and episode savings of the sequential gate (issue 18 item 2).

Simulates paired policy episodes (same seeds on both sides; success correlated across sides by
a Gaussian copula, rho = 0.5) at realistic success rates 0.3-0.9 and drops 0-0.2, and runs
:func:`cosmos3_eval.scorers.sequential.paired_sequential_test` in blocks of 10 pairs with a
budget of 1500 pairs. Reports, per scenario, P(regression), P(no-regression), mean pairs
used; the fixed-n design of equal power (one-sided alpha, power at drop = margin equal to the
sequential design's measured power; Connor 1987 sample size for paired proportions); and the
type-I error of naively re-testing after every block, for contrast. Also checks the
``run --until ci-width=W`` rule: coverage of the confidence sequence at the stopping time.

    PYTHONPATH=. python benchmarks/perf/adaptive_trials.py

Last line: ``type1=X saving=Y`` (worst P(regression) with no drop; 1 - sequential / fixed mean
episodes over all scenarios). About a minute on one core.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import multivariate_normal, norm

from cosmos3_eval.scorers import sequential

ALPHA, MARGIN, BLOCK, BUDGET, REPS, RHO = 0.05, 0.1, 10, 1500, 300, 0.5
BASES = (0.3, 0.5, 0.7, 0.9)
DROPS = (0.0, 0.05, 0.1, 0.15, 0.2)


def simulate_pairs(rng: np.random.Generator, pb: float, pn: float, n: int) -> np.ndarray:
    """(n, 2) paired successes with success rates pb, pn and latent correlation RHO."""
    z = rng.standard_normal((n, 2))
    z[:, 1] = RHO * z[:, 0] + np.sqrt(1 - RHO**2) * z[:, 1]
    return np.c_[z[:, 0] < norm.ppf(pb), z[:, 1] < norm.ppf(pn)].astype(np.float64)


def discordant(pb: float, pn: float) -> float:
    """P(base != new) under the copula."""
    both = multivariate_normal([0, 0], [[1, RHO], [RHO, 1]]).cdf([norm.ppf(pb), norm.ppf(pn)])
    return pb + pn - 2 * float(both)


def fixed_n(pb: float, power: float) -> float:
    """Pairs a one-sided exact-size McNemar design needs for this power at drop = MARGIN."""
    psi = discordant(pb, pb - MARGIN)
    za, zb = norm.ppf(1 - ALPHA), norm.ppf(min(power, 0.999))
    return ((za * np.sqrt(psi) + zb * np.sqrt(psi - MARGIN**2)) / MARGIN) ** 2


def naive_type_one(rng: np.random.Generator, pb: float) -> float:
    """P(any block's one-sided z-test on discordant pairs rejects) with no drop: the wrong way."""
    pairs = np.stack([simulate_pairs(rng, pb, pb, BUDGET) for _ in range(REPS)])
    lost = np.cumsum((pairs[..., 0] == 1) & (pairs[..., 1] == 0), axis=1)[:, BLOCK - 1 :: BLOCK]
    gained = np.cumsum((pairs[..., 0] == 0) & (pairs[..., 1] == 1), axis=1)[:, BLOCK - 1 :: BLOCK]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (gained - lost) / np.sqrt(gained + lost)
    return float(np.mean(np.any(z < norm.ppf(ALPHA), axis=1)))


def ci_width_study(rng: np.random.Generator, width: float = 0.2, reps: int = 150) -> list[str]:
    """Stop at the first block where the CS is narrower than ``width``; check coverage there."""
    rows = []
    for p in (0.3, 0.7, 0.9):
        used, covered = [], 0
        for _ in range(reps):
            x = (rng.random(800) < p).astype(np.float64)
            lo, hi = 1, 800 // BLOCK  # first block count whose CS is narrow (width is monotone)
            while lo < hi:
                mid = (lo + hi) // 2
                if sequential.ci_width_reached(x[: mid * BLOCK], width, ALPHA):
                    hi = mid
                else:
                    lo = mid + 1
            cs = sequential.confidence_sequence(x[: lo * BLOCK], ALPHA)
            used.append(lo * BLOCK)
            covered += cs.lower <= p <= cs.upper
        fixed = (1.96 / (width / 2)) ** 2 * p * (1 - p)  # Wald fixed n for the same width
        rows.append(
            f"  p={p:.1f} width<{width}: mean n={np.mean(used):.0f} (fixed-n Wald {fixed:.0f}),"
            f" coverage at stop={covered / reps:.3f}"
        )
    return rows


def main() -> None:
    """Run the study and print the table and the summary line."""
    rng = np.random.default_rng(18)
    print(f"alpha={ALPHA} margin={MARGIN} block={BLOCK} budget={BUDGET} pairs reps={REPS}")
    print("base  drop  P(regr)  P(no-regr)  P(inconcl)  mean pairs")
    type1, seq_total, fixed_total = 0.0, 0.0, 0.0
    for pb in BASES:
        results = {}
        for drop in DROPS:
            decisions, used = [], []
            for _ in range(REPS):
                pairs = simulate_pairs(rng, pb, pb - drop, BUDGET)
                r = sequential.paired_sequential_test(
                    pairs[:, 0], pairs[:, 1], MARGIN, ALPHA, max_n=BUDGET
                )
                decisions.append(r.decision)
                used.append(min(BUDGET, -(-r.n // BLOCK) * BLOCK))  # checked once per block
            d = np.array(decisions)
            results[drop] = (np.mean(d == "regression"), np.mean(used))
            print(
                f"{pb:.1f}   {drop:.2f}  {np.mean(d == 'regression'):7.3f}  "
                f"{np.mean(d == 'no-regression'):10.3f}  {np.mean(d == 'inconclusive'):10.3f}"
                f"  {np.mean(used):10.0f}"
            )
        type1 = max(type1, results[0.0][0])
        power = results[MARGIN][0]
        n_fix = fixed_n(pb, power)
        mean_seq = float(np.mean([results[k][1] for k in DROPS]))
        seq_total += mean_seq
        fixed_total += n_fix
        print(
            f"  base {pb:.1f}: power at drop {MARGIN} = {power:.3f}; fixed-n of equal power = "
            f"{n_fix:.0f} pairs; sequential mean over drops = {mean_seq:.0f} "
            f"(saving {1 - mean_seq / n_fix:+.0%}); naive re-test type-I = "
            f"{naive_type_one(rng, pb):.3f}"
        )
    print("run --until ci-width (confidence sequence, alpha 0.05):")
    print("\n".join(ci_width_study(rng)))
    print(f"type1={type1:.3f} saving={1 - seq_total / fixed_total:.3f}")


if __name__ == "__main__":
    main()
