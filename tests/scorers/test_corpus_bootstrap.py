"""Paired bootstrap of a stratified corpus statistic (compare's test for corpus metrics)."""

import numpy as np
import pytest

from cosmos3_eval.scorers.stats import paired_stratified_bootstrap, stratum_mean


def test_stratum_mean_weights_strata_equally():
    assert stratum_mean([1, 1, 1, 0], ["a", "a", "a", "b"]) == pytest.approx(0.5)
    assert stratum_mean([1, 1, 1, 0], None) == pytest.approx(0.75)


def test_identical_runs_have_zero_difference_and_p_one():
    x = [1.0, 0.0, 1.0, 1.0]
    d = paired_stratified_bootstrap(x, x, ["a", "b", "a", "b"])
    assert (d.diff, d.ci95, d.p_value) == (0.0, (0.0, 0.0), 1.0)


def test_a_real_drop_is_detected_and_the_ci_covers_it():
    rng = np.random.default_rng(0)
    strata = [s for s in "abcd" for _ in range(50)]
    base = rng.binomial(1, 0.9, size=200).astype(float)
    new = base.copy()
    new[rng.choice(200, size=40, replace=False)] = 0.0  # some wrong answers
    d = paired_stratified_bootstrap(base, new, strata, seed=1)
    assert d.diff == pytest.approx(stratum_mean(new, strata) - stratum_mean(base, strata))
    assert d.ci95[0] <= d.diff <= d.ci95[1] < 0
    assert d.p_value < 0.01 and d.n == 200 and d.test == "paired-bootstrap-stratified"
    assert 0 < d.mde < 0.2


def test_same_seed_same_result_and_resampling_stays_in_strata():
    # One stratum all-zero differences: resampling within strata keeps its replicates at 0,
    # so every replicate is exactly half the other stratum's mean difference.
    base = [0.0] * 10 + [1.0] * 10
    new = [1.0] * 10 + [1.0] * 10
    strata = ["a"] * 10 + ["b"] * 10
    d = paired_stratified_bootstrap(base, new, strata, seed=3)
    assert d.diff == pytest.approx(0.5) and d.ci95 == (0.5, 0.5)
    assert d == paired_stratified_bootstrap(base, new, strata, seed=3)
