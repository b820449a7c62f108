"""Statistics for every number the suite reports.

* per-metric: mean, standard error and a 95 % CI valid at every n (:func:`metric_ci`);
* paired comparisons on identical seeds: exact McNemar for binary scores, a paired t-test for
  continuous ones (each with a CI that agrees with its p-value), Holm correction across tasks,
  and the minimum detectable effect at a given n.

The exact / small-n intervals and tests live in :mod:`cosmos3_eval.scorers.intervals` (kept
apart so this file stays short); sequential (anytime-valid) ones in
:mod:`cosmos3_eval.scorers.sequential`.

All resampling uses ``numpy.random.default_rng(seed)`` so the same data give the same CI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cosmos3_eval.scorers.intervals import (
    midp_ci,
    paired_binary_ci,
    paired_t,
    t_ci,
)

Z95 = 1.959963984540054


def mean_stderr(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and standard error of the mean (sample std, ddof=1; 0 for n < 2)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return float("nan"), float("nan")
    if x.size < 2:
        return float(x.mean()), 0.0
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


def _is_binary(x: np.ndarray) -> bool:
    return bool(np.all((x == 0.0) | (x == 1.0)))


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    seed: int = 0,
    n_boot: int = 2000,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Seeded percentile bootstrap CI of the mean.

    For 0/1 data the resampled mean is drawn as Binomial(n, p) / n, which has exactly the
    bootstrap distribution and needs no n x n_boot matrix; other data are resampled in chunks
    so memory stays bounded.

    Args:
        values: Per-sample values.
        seed: RNG seed (same data + seed => same CI).
        n_boot: Number of resamples.
        alpha: 1 - confidence level.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    if _is_binary(x):
        means = rng.binomial(x.size, x.mean(), size=n_boot) / x.size
    else:
        means = np.empty(n_boot)
        chunk = max(1, 4_000_000 // max(1, x.size))
        for start in range(0, n_boot, chunk):
            stop = min(n_boot, start + chunk)
            idx = rng.integers(0, x.size, size=(stop - start, x.size))
            means[start:stop] = x[idx].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def wilson_ci(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (well-behaved at 0 % and 100 %)."""
    if n <= 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def normal_ci(mean: float, stderr: float, z: float = Z95) -> tuple[float, float]:
    """Return mean +- z * stderr."""
    return mean - z * stderr, mean + z * stderr


def is_binary(values: Sequence[float] | np.ndarray) -> bool:
    """Whether every value is exactly 0 or 1 (then binomial methods apply)."""
    x = np.asarray(values, dtype=np.float64)
    return bool(x.size) and _is_binary(x)


def metric_ci(
    values: Sequence[float] | np.ndarray, method: str = "bootstrap", seed: int = 0
) -> tuple[float, float]:
    """The 95 % CI a reported metric gets, valid at every n.

    Whether a metric is a binomial rate is the spec's word, not the data's: ``"wilson"`` (the
    spec of every 0/1 rate: accuracy, success, T2I score) gets the mid-p exact interval (the
    bootstrap covers 15-64 % at small n or extreme p). A continuous metric keeps a continuous
    interval even when its values happen to be 0 / 1 (an oracle's final-state error of 0 m is
    not 0 successes out of n): ``"normal"`` becomes the t-interval (same for large n, honest
    for small); ``"bootstrap"`` falls back to the t-interval below 30 values, where the
    percentile bootstrap is too narrow. A ``"wilson"`` metric whose values are not all 0 / 1
    (e.g. a fractional ``on_error``) is treated as continuous.

    Args:
        values: Per-sample values (n >= 1).
        method: The metric spec's ``ci`` (``"bootstrap"``, ``"wilson"`` or ``"normal"``).
        seed: Bootstrap seed.
    """
    x = np.asarray(values, dtype=np.float64)
    if method == "wilson" and is_binary(x):
        lo, hi = midp_ci(int(x.sum()), int(x.size))
        return float(lo), float(hi)
    if method == "normal" or x.size < 30:
        return t_ci(x)
    return bootstrap_ci(x, seed=seed)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts.

    Uses ``scipy.stats.binomtest`` (no ``2**n`` overflow at any number of discordant pairs);
    for p = 1/2 its two-sided p-value equals twice the smaller tail, capped at 1.

    Args:
        b: Pairs where base was right and new wrong.
        c: Pairs where base was wrong and new right.
    """
    from scipy.stats import binomtest

    if b + c == 0:
        return 1.0
    return float(min(1.0, binomtest(min(b, c), b + c, 0.5).pvalue))


@dataclass(frozen=True)
class PairedDiff:
    """Difference new - base on paired samples.

    Attributes:
        diff: Mean difference.
        ci95: 95 % CI of the mean difference.
        p_value: Two-sided p-value of "no difference".
        n: Number of pairs.
        test: Name of the test used.
        mde: Minimum detectable effect (absolute, 80 % power, two-sided alpha) at this n.
    """

    diff: float
    ci95: tuple[float, float]
    p_value: float
    n: int
    test: str
    mde: float


def paired_bootstrap(
    base: np.ndarray, new: np.ndarray, seed: int = 0, n_boot: int = 5000
) -> tuple[tuple[float, float], float]:
    """Paired bootstrap of mean(new - base): (95 % CI, two-sided p-value)."""
    d = np.asarray(new, np.float64) - np.asarray(base, np.float64)
    if d.size == 0:
        return (float("nan"), float("nan")), 1.0
    if np.all(d == 0):
        return (0.0, 0.0), 1.0
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, 4_000_000 // d.size)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, d.size, size=(stop - start, d.size))
        means[start:stop] = d[idx].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    # p-value: how often the centred bootstrap distribution is as extreme as the observation.
    obs = d.mean()
    centred = means - obs
    p = float((np.sum(np.abs(centred) >= abs(obs)) + 1) / (n_boot + 1))
    return (float(lo), float(hi)), min(1.0, p)


def minimum_detectable_effect(
    sd_diff: float, n: int, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest true mean difference a two-sided paired t-test detects with this power at n.

    Solved exactly with the noncentral t distribution (df = n - 1), so at small n it is
    honest: the normal formula understates the MDE by ~40 % at n = 5. ``inf`` for n < 2.
    """
    if n < 2:
        return float("inf")
    if sd_diff <= 0:
        return 0.0
    from scipy.optimize import brentq
    from scipy.stats import nct
    from scipy.stats import t as student_t

    df = n - 1
    crit = float(student_t.ppf(1 - alpha / 2, df))

    def shortfall(nc: float) -> float:
        return float(nct.sf(crit, df, nc) + nct.cdf(-crit, df, nc)) - power

    # Bracket: the t-quantile formula is a lower bound on the noncentrality needed.
    hi = crit + float(student_t.ppf(power, df)) + 1.0
    while shortfall(hi) < 0:
        hi *= 2
    nc = brentq(shortfall, 0.0, hi, xtol=1e-10)
    return nc * sd_diff / math.sqrt(n)


def paired_difference(
    base: Sequence[float], new: Sequence[float], seed: int = 0, alpha: float = 0.05
) -> PairedDiff:
    """Compare paired per-sample scores: exact McNemar for 0/1 data, else a paired t-test.

    Both come with a CI that excludes 0 iff p < alpha (see :func:`paired_binary_ci`).
    """
    b = np.asarray(base, np.float64)
    n_ = np.asarray(new, np.float64)
    if b.shape != n_.shape:
        raise ValueError("paired scores must have the same length")
    d = n_ - b
    n = int(d.size)
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    if _is_binary(b) and _is_binary(n_):
        lost = int(np.sum((b == 1) & (n_ == 0)))
        gained = int(np.sum((b == 0) & (n_ == 1)))
        p = mcnemar_exact(lost, gained)
        ci = paired_binary_ci(lost, gained, n, alpha)
        # Planning MDE for binary data: assume at least one discordant pair in 20 when none seen.
        sd_plan = sd if sd > 0 else math.sqrt(0.05)
        return PairedDiff(
            float(d.mean()), ci, p, n, "mcnemar-exact", minimum_detectable_effect(sd_plan, n, alpha)
        )
    # Paired t: its p-value and t-interval agree at every n (the bootstrap p-value had a 19 %
    # type-I error at n = 5).
    t = paired_t(b, n_, alpha)
    return PairedDiff(
        t.diff, t.ci95, t.p_value, n, "paired-t", minimum_detectable_effect(sd, n, alpha)
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def stratified_mean(
    groups: Sequence[Sequence[float] | np.ndarray], seed: int = 0, n_boot: int = 2000
) -> tuple[float, float, tuple[float, float]]:
    """Mean of group means (e.g. GenEval's mean over skills) with stderr and a stratified CI.

    Each group is resampled within itself, so every bootstrap replicate has every group; for
    0/1 data a group's resampled mean is drawn exactly as Binomial(n_k, p_k) / n_k.

    Args:
        groups: Per-group values (empty groups are ignored).
        seed: RNG seed.
        n_boot: Number of resamples.

    Returns:
        (value, stderr, 95 % CI).
    """
    present = [np.asarray(g, np.float64) for g in groups if len(g)]
    if not present:
        return float("nan"), float("nan"), (float("nan"), float("nan"))
    k = len(present)
    value = float(np.mean([g.mean() for g in present]))
    var = sum(float(g.var(ddof=1)) / g.size if g.size > 1 else 0.0 for g in present)
    stderr = math.sqrt(var) / k
    rng = np.random.default_rng(seed)
    boot = np.zeros(n_boot)
    for g in present:
        if _is_binary(g):
            boot += rng.binomial(g.size, g.mean(), size=n_boot) / g.size
        else:
            boot += g[rng.integers(0, g.size, size=(n_boot, g.size))].mean(axis=1)
    boot /= k
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return value, stderr, (float(lo), float(hi))


def _strata_index(strata: Sequence[str] | None, n: int) -> list[np.ndarray]:
    if strata is None:
        return [np.arange(n)] if n else []
    if len(strata) != n:
        raise ValueError("one stratum label per value")
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        groups.setdefault(s, []).append(i)
    return [np.asarray(groups[k]) for k in sorted(groups)]


def stratum_mean(values: Sequence[float] | np.ndarray, strata: Sequence[str] | None) -> float:
    """The mean over strata of the per-stratum means (a plain mean when ``strata`` is None)."""
    x = np.asarray(values, np.float64)
    groups = _strata_index(strata, x.size)
    return float(np.mean([x[g].mean() for g in groups])) if groups else float("nan")


def paired_stratified_bootstrap(
    base: Sequence[float],
    new: Sequence[float],
    strata: Sequence[str] | None,
    seed: int = 0,
    n_boot: int = 5000,
    alpha: float = 0.05,
) -> PairedDiff:
    """Paired bootstrap of a corpus statistic: the mean over strata of per-stratum means.

    Samples are resampled within their stratum (as :func:`stratified_mean` does for the CI of
    the metric itself) and the same resampled ids are used for both runs, so the pairing on
    identical seeds is kept. The statistic is linear in the values, so the replicate of
    stat(new) - stat(base) is the statistic of the resampled per-sample differences.

    Args:
        base: Per-sample values of the base run.
        new: Per-sample values of the new run (same order as ``base``).
        strata: Stratum label per sample (``None``: one stratum, i.e. a plain mean).
        seed: RNG seed.
        n_boot: Number of resamples.
        alpha: Significance level of the minimum detectable effect.

    Returns:
        The difference, its percentile 95 % CI, the two-sided p-value and the MDE.
    """
    b, n_ = np.asarray(base, np.float64), np.asarray(new, np.float64)
    if b.shape != n_.shape:
        raise ValueError("paired scores must have the same length")
    d = n_ - b
    groups = _strata_index(strata, d.size)
    test = "paired-bootstrap-stratified" if strata is not None else "paired-bootstrap"
    if not groups:
        return PairedDiff(float("nan"), (float("nan"), float("nan")), 1.0, 0, test, float("inf"))
    k = len(groups)
    obs = float(np.mean([d[g].mean() for g in groups]))
    var = sum(float(d[g].var(ddof=1)) / g.size if g.size > 1 else 0.0 for g in groups)
    se = math.sqrt(var) / k
    # The MDE of a statistic with standard error se: sd_eff / sqrt(n) == se.
    mde = minimum_detectable_effect(se * math.sqrt(d.size), int(d.size), alpha)
    if np.all(d == 0):
        return PairedDiff(obs, (0.0, 0.0), 1.0, int(d.size), test, mde)
    rng = np.random.default_rng(seed)
    boot = np.zeros(n_boot)
    for g in groups:
        dg = d[g]
        chunk = max(1, 4_000_000 // dg.size)
        for start in range(0, n_boot, chunk):
            stop = min(n_boot, start + chunk)
            idx = rng.integers(0, dg.size, size=(stop - start, dg.size))
            boot[start:stop] += dg[idx].mean(axis=1)
    boot /= k
    lo, hi = np.quantile(boot, [0.025, 0.975])
    # p-value as in paired_bootstrap: how often the centred replicates are as extreme.
    p = float((np.sum(np.abs(boot - obs) >= abs(obs)) + 1) / (n_boot + 1))
    return PairedDiff(obs, (float(lo), float(hi)), min(1.0, p), int(d.size), test, mde)
