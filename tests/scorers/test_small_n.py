"""Intervals and paired tests that must hold at every n (issue 12 item 9)."""

import math

import numpy as np
import pytest
from scipy.stats import binom

from cosmos3_eval.scorers import aggregate, intervals, stats

GRID_N = (5, 10, 20, 30, 50, 100, 300, 1000)
GRID_P = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98)


def _exact_coverage(n: int, p: float) -> float:
    x = np.arange(n + 1)
    lo, hi = intervals.midp_ci(x, n)
    return float(binom.pmf(x, n, p)[(lo <= p) & (p <= hi)].sum())


def test_midp_interval_covers_at_least_93_percent_on_the_whole_grid():
    cov = np.array([[_exact_coverage(n, p) for p in GRID_P] for n in GRID_N])
    assert cov.min() >= 0.93
    # Away from the discreteness corner (n * min(p, 1-p) >= 10) it is close to nominal.
    big = np.array([[n * min(p, 1 - p) >= 10 for p in GRID_P] for n in GRID_N])
    assert 0.93 <= cov[big].min() and cov[big].max() <= 0.97
    assert 0.945 <= cov.mean() <= 0.97


def test_midp_matches_scalar_root_finding_and_is_monotone():
    lo, hi = intervals.midp_ci(np.arange(11), 10)
    assert np.all(np.diff(lo) > 0) and np.all(np.diff(hi) > 0)
    # At its lower bound, P(X > 3) + P(X = 3) / 2 = 0.025.
    p = float(lo[3])
    assert binom.sf(3, 10, p) + 0.5 * binom.pmf(3, 10, p) == pytest.approx(0.025, abs=1e-9)
    assert intervals.midp_ci(0, 10)[0] == 0.0 and intervals.midp_ci(10, 10)[1] == 1.0


def test_metric_ci_uses_an_exact_interval_for_binary_specs_only():
    values = [1.0, 1.0, 1.0, 1.0, 0.0]
    expect = intervals.midp_ci(4, 5)
    assert stats.metric_ci(values, "wilson") == pytest.approx(expect)
    # The same 0/1 values of a continuous metric keep a continuous (t) interval.
    for method in ("bootstrap", "normal"):
        assert stats.metric_ci(values, method) == pytest.approx(intervals.t_ci(values))
    spec = aggregate.MetricSpec("success", ci="wilson")
    records = [
        {"scores": {"success": v}, "error": None, "category": c}
        for v, c in zip(values * 2, "aaaaabbbbb", strict=True)
    ]
    out = aggregate.aggregate((spec,), records)
    assert out["success/a"].ci95 == pytest.approx(expect)
    # Continuous values at small n get the t-interval, not the too-narrow bootstrap.
    x = [0.1, 0.5, 0.2, 0.9, 0.4]
    assert stats.metric_ci(x, "bootstrap") == pytest.approx(intervals.t_ci(x))
    # A "wilson" spec whose values are not all 0 / 1 is treated as continuous.
    assert stats.metric_ci(x, "wilson") == pytest.approx(intervals.t_ci(x))


def test_an_all_zero_continuous_metric_gets_no_binomial_interval():
    zeros = [0.0] * 100  # e.g. the oracle's final-state error in metres
    spec = aggregate.MetricSpec("final_state_error", higher_is_better=False, on_error=None)
    out = aggregate.aggregate((spec,), [{"scores": {"final_state_error": 0.0}}] * 100)
    assert out["final_state_error"].ci95 == (0.0, 0.0)
    assert stats.metric_ci(zeros, "wilson") == pytest.approx(intervals.midp_ci(0, 100))
    assert stats.metric_ci(zeros, "wilson")[1] > 0.02  # what it used to get, as a rate


def test_mcnemar_has_no_overflow_and_matches_the_closed_form():
    assert stats.mcnemar_exact(1, 9) == pytest.approx(22 / 1024)
    assert stats.mcnemar_exact(3, 3) == 1.0
    p = stats.mcnemar_exact(600, 700)  # 1,300 discordant pairs used to overflow 2.0**n
    assert 0 < p < 0.01 and math.isfinite(p)
    assert stats.mcnemar_exact(5000, 5000) == 1.0


def test_paired_binary_ci_excludes_zero_iff_exact_mcnemar_rejects():
    for alpha, sizes in ((0.05, (5, 12, 40, 200)), (0.01, (12, 200))):
        for n in sizes:
            for lost in range(0, min(n, 14) + 1):
                for gained in range(0, min(n - lost, 14) + 1):
                    lo, hi = intervals.paired_binary_ci(lost, gained, n, alpha)
                    excludes = lo > 0 or hi < 0
                    assert excludes == (stats.mcnemar_exact(lost, gained) < alpha), (
                        alpha,
                        n,
                        lost,
                        gained,
                    )
                    assert lo <= (gained - lost) / n <= hi


def test_paired_t_ci_agrees_with_its_p_value_and_sign_flip_is_exact():
    rng = np.random.default_rng(1)
    for n in (3, 5, 8, 30):
        for _ in range(50):
            base, new = rng.random(n), rng.random(n) + rng.normal(0, 0.3)
            t = intervals.paired_t(base, new)
            assert (t.ci95[0] > 0 or t.ci95[1] < 0) == (t.p_value < 0.05)
    # All 5 differences positive: exactly 2 of 32 sign patterns are as extreme.
    assert intervals.sign_flip_test([0] * 5, [1, 2, 3, 4, 5]) == pytest.approx(2 / 32)
    d = rng.normal(0.5, 1, 40)
    a = intervals.sign_flip_test(np.zeros(40), d, seed=3)
    assert a == intervals.sign_flip_test(np.zeros(40), d, seed=3) and a < 0.05


def test_paired_tests_keep_type_one_error_at_small_n():
    rng = np.random.default_rng(7)
    for n in (5, 10):
        data = rng.beta(2, 5, (1500, n, 2))
        t_rej = np.mean([intervals.paired_t(s[:, 0], s[:, 1]).p_value < 0.05 for s in data])
        sf_rej = np.mean([intervals.sign_flip_test(s[:, 0], s[:, 1]) < 0.05 for s in data])
        # The old paired bootstrap rejected 19 % at n = 5; 0.065 is 0.05 + 2.7 MC std errors.
        assert t_rej <= 0.065 and sf_rej <= 0.065


def test_paired_difference_uses_consistent_tests():
    base = np.ones(100)
    worse = base.copy()
    worse[:10] = 0
    d = stats.paired_difference(base, worse)
    assert d.test == "mcnemar-exact" and d.p_value < 0.01 and d.ci95[1] < 0
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 200)
    c = stats.paired_difference(x, x + 0.5 + rng.normal(0, 0.1, 200))
    assert c.test == "paired-t" and c.p_value < 0.01 and c.ci95[0] > 0.4


def test_mde_uses_the_t_distribution():
    # Noncentral-t MDE at n = 5 is larger than the normal formula (2.80 / sqrt 5 = 1.25).
    assert stats.minimum_detectable_effect(1.0, 5) == pytest.approx(1.682, abs=0.01)
    big = stats.minimum_detectable_effect(1.0, 10_000) * 100
    assert big == pytest.approx(2.8016, abs=0.005)
    assert stats.minimum_detectable_effect(1.0, 1) == math.inf
