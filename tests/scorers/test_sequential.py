"""Anytime-valid confidence sequence and the paired sequential gate (issue 18 item 2)."""

import numpy as np
import pytest

from cosmos3_eval.scorers import intervals, sequential


def test_confidence_sequence_contains_the_mean_and_shrinks():
    rng = np.random.default_rng(0)
    x = (rng.random(2000) < 0.7).astype(float)
    widths = [sequential.confidence_sequence(x[:n]).width for n in (50, 200, 2000)]
    assert widths[0] > widths[1] > widths[2] and widths[2] < 0.1
    cs = sequential.confidence_sequence(x)
    assert cs.lower < 0.7 < cs.upper and cs.n == 2000
    # Anytime validity costs width: it is wider than the fixed-n interval at the same n.
    lo, hi = intervals.midp_ci(int(x.sum()), 2000)
    assert cs.width > hi - lo
    assert sequential.confidence_sequence(x) == cs  # deterministic
    with pytest.raises(ValueError):
        sequential.confidence_sequence([0.5, 1.5])


def test_ci_width_rule_keeps_coverage_under_optional_stopping():
    rng = np.random.default_rng(1)
    missed = 0
    reps = 120
    for _ in range(reps):
        x = (rng.random(600) < 0.3).astype(float)
        n = 10
        while n < 600 and not sequential.ci_width_reached(x[:n], 0.25):
            n += 10
        cs = sequential.confidence_sequence(x[:n])
        missed += not cs.lower <= 0.3 <= cs.upper
    assert missed / reps <= 0.05


def _equal_pairs(rng, p, n):
    """Paired episodes of two equally good policies: 80 % of episodes agree by seed."""
    base = (rng.random(n) < p).astype(float)
    return base, np.where(rng.random(n) < 0.8, base, (rng.random(n) < p).astype(float))


def test_gate_rarely_flags_equal_policies_and_catches_big_drops():
    rng = np.random.default_rng(2)
    false_flags = 0
    for _ in range(200):
        base, new = _equal_pairs(rng, 0.6, 1000)
        r = sequential.paired_sequential_test(base, new, margin=0.1, alpha=0.05)
        false_flags += r.decision == "regression"
    assert false_flags / 200 <= 0.05
    base = np.ones(400)
    new = np.where(rng.random(400) < 0.3, 0.0, 1.0)
    r = sequential.paired_sequential_test(base, new, margin=0.1)
    assert r.decision == "regression" and r.n < 100 and r.e_regression >= 20
    same = sequential.paired_sequential_test(base, base, margin=0.1)
    assert same.decision == "no-regression" and same.mean_diff == 0.0


def test_gate_continues_then_respects_budget_and_validates_input():
    base = np.ones(5)
    r = sequential.paired_sequential_test(base, base, margin=0.1)
    assert r.decision == "continue" and r.n == 5
    rng = np.random.default_rng(3)
    b = (rng.random(300) < 0.5).astype(float)
    w = np.where(rng.random(300) < 0.5, b, 1 - b)
    r = sequential.paired_sequential_test(b, w, margin=0.02, max_n=40)
    assert r.decision == "inconclusive" and r.n == 40
    with pytest.raises(ValueError):
        sequential.paired_sequential_test([1.0], [1.0, 0.0], margin=0.1)
    with pytest.raises(ValueError):
        sequential.paired_sequential_test([1.0], [2.0], margin=0.1)
