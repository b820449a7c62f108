import math

import numpy as np
import pytest

from cosmos3_eval.scorers import stats


def test_wilson_matches_the_closed_form_and_handles_extremes():
    lo, hi = stats.wilson_ci(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    lo, hi = stats.wilson_ci(0, 20)
    assert lo == 0.0 and 0.15 < hi < 0.17
    lo, hi = stats.wilson_ci(20, 20)
    assert hi == 1.0 and 0.83 < lo < 0.85


def test_bootstrap_is_seeded_and_brackets_the_mean():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 1.0, 400)
    a = stats.bootstrap_ci(x, seed=1)
    assert a == stats.bootstrap_ci(x, seed=1)
    assert a != stats.bootstrap_ci(x, seed=2)
    assert a[0] < x.mean() < a[1]
    half = (a[1] - a[0]) / 2
    assert half == pytest.approx(1.96 * x.std(ddof=1) / 20, rel=0.15)
    # 0/1 data take the exact binomial shortcut and agree with the normal approximation.
    b = np.r_[np.ones(300), np.zeros(700)]
    lo, hi = stats.bootstrap_ci(b, seed=0)
    assert lo == pytest.approx(0.3 - 1.96 * math.sqrt(0.21 / 1000), abs=0.01)


def test_mcnemar_exact_known_values():
    assert stats.mcnemar_exact(0, 0) == 1.0
    assert stats.mcnemar_exact(5, 0) == pytest.approx(2 * 0.5**5)
    assert stats.mcnemar_exact(3, 3) == 1.0
    # b=1, c=9: two-sided exact p = 2 * P(X <= 1 | n=10) = 22 / 1024
    assert stats.mcnemar_exact(1, 9) == pytest.approx(22 / 1024)


def test_holm_adjusts_in_step_down_order():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5]) == [0.5]


def test_paired_difference_binary_and_continuous():
    base = np.ones(100)
    same = stats.paired_difference(base, base)
    assert same.diff == 0 and same.p_value == 1.0 and same.test == "mcnemar-exact"
    worse = base.copy()
    worse[:10] = 0
    d = stats.paired_difference(base, worse)
    assert d.diff == pytest.approx(-0.1) and d.p_value < 0.01 and d.ci95[1] < 0
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 200)
    c = stats.paired_difference(x, x + 0.5, seed=0)
    assert c.test == "paired-t" and c.p_value < 0.01 and c.ci95[0] > 0.3
    assert 0 < c.mde < 0.5


def test_mde_shrinks_with_n():
    # ~1/sqrt(n) (exactly so only as the t distribution approaches the normal).
    assert stats.minimum_detectable_effect(1.0, 400) == pytest.approx(
        stats.minimum_detectable_effect(1.0, 100) / 2, rel=0.01
    )


def test_stratified_mean_weights_groups_equally():
    value, se, (lo, hi) = stats.stratified_mean([[1.0] * 90, [0.0] * 10], seed=0)
    assert value == 0.5 and se == 0.0 and lo == hi == 0.5
    v, se, ci = stats.stratified_mean([[1, 0, 1, 1], [0, 0, 1, 0]], seed=3)
    assert v == pytest.approx(0.5) and ci[0] < 0.5 < ci[1] and se > 0
