"""Anytime-valid statistics for adaptive trials: stop as soon as the question is answered.

Episodes are expensive, so a run may look at its results after every block and stop. Re-testing
a fixed-n CI after every block inflates the error rate; the tools here stay valid under any
such data-dependent stopping rule, because they are built from nonnegative supermartingales
("betting wealth") and Ville's inequality: P(wealth ever reaches 1/alpha) <= alpha.

* :func:`confidence_sequence`: the hedged-capital confidence sequence for a mean in [0, 1]
  (Waudby-Smith & Ramdas 2023, "Estimating means of bounded random variables by betting",
  JRSS-B 86(1):1-27, Thm 3 with the predictable plug-in bets of their eq. 26), running
  intersection; :func:`ci_width_reached` is the ``run --until ci-width=W`` stopping rule.
* :func:`paired_sequential_test`: "is new worse than base?" on paired scores, as two one-sided
  betting e-processes with aGRAPA bets (same paper, Sec. 5.3). It declares ``regression`` only
  when mean(new - base) < 0 is established and ``no-regression`` only when
  mean(new - base) > -margin is, each with error <= alpha at any stopping time.

Everything is deterministic given the values in order. Method and CLI use: ``docs/adaptive.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

# Bets are truncated at c / (distance to the bound) so wealth never gets within 1 - c of 0.
_C = 0.5
_GRID = 2001


def _running_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predictable mean / variance estimates: entry t uses x[:t] only (WSR eq. 26)."""
    t = np.arange(1, x.size + 1, dtype=np.float64)
    mu = (0.5 + np.cumsum(x)) / (t + 1)
    var = (0.25 + np.cumsum((x - mu) ** 2)) / (t + 1)
    # Shift by one so the bet at step t is fixed before x[t] is seen.
    return np.r_[0.5, mu[:-1]], np.r_[0.25, var[:-1]]


@dataclass(frozen=True)
class ConfidenceSequence:
    """An anytime-valid confidence interval for a mean after n observations.

    Attributes:
        lower: Lower bound.
        upper: Upper bound.
        n: Observations used.
        alpha: Miscoverage: P(the mean ever leaves the sequence) <= alpha.
    """

    lower: float
    upper: float
    n: int
    alpha: float

    @property
    def width(self) -> float:
        """Full width, upper minus lower."""
        return self.upper - self.lower


def confidence_sequence(
    values: Sequence[float] | np.ndarray, alpha: float = 0.05
) -> ConfidenceSequence:
    """Hedged-capital confidence sequence for the mean of values in [0, 1].

    Unlike a fixed-n CI, it may be looked at after every observation and the run stopped at
    any time: with probability >= 1 - alpha it contains the true mean at all n at once.
    Candidate means are a grid of 2001 points; the bounds are rounded outwards to the grid.

    Args:
        values: Observations in [0, 1], in the order they arrived.
        alpha: Miscoverage.

    Raises:
        ValueError: A value outside [0, 1].
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError("confidence_sequence needs values in [0, 1]")
    if x.size == 0:
        return ConfidenceSequence(0.0, 1.0, 0, alpha)
    m = np.linspace(0.0, 1.0, _GRID)
    _, var = _running_moments(x)
    t = np.arange(1, x.size + 1, dtype=np.float64)
    lam = np.sqrt(2 * math.log(2 / alpha) / (var * t * np.log1p(t)))
    threshold = math.log(1 / alpha)
    best_up = np.full(m.size, -np.inf)
    best_dn = np.full(m.size, -np.inf)
    log_up = np.zeros(m.size)
    log_dn = np.zeros(m.size)
    # Chunk over time so memory stays ~ chunk x grid whatever n is.
    chunk = max(1, 1_000_000 // m.size)
    with np.errstate(divide="ignore"):
        cap_up, cap_dn = _C / m, _C / (1 - m)
    for start in range(0, x.size, chunk):
        xs, ls = x[start : start + chunk, None], lam[start : start + chunk, None]
        up = np.cumsum(np.log1p(np.minimum(ls, cap_up) * (xs - m)), axis=0) + log_up
        dn = np.cumsum(np.log1p(-np.minimum(ls, cap_dn) * (xs - m)), axis=0) + log_dn
        log_up, log_dn = up[-1], dn[-1]
        best_up = np.maximum(best_up, up.max(axis=0))
        best_dn = np.maximum(best_dn, dn.max(axis=0))
    # Hedged wealth max(K+/2, K-/2); the running max over time gives the running intersection.
    rejected = np.maximum(best_up, best_dn) + math.log(0.5) >= threshold
    kept = np.flatnonzero(~rejected)
    if kept.size == 0:  # cannot happen for data in [0, 1]; kept for safety
        centre = float(x.mean())
        return ConfidenceSequence(centre, centre, int(x.size), alpha)
    lo = m[max(kept[0] - 1, 0)]
    hi = m[min(kept[-1] + 1, m.size - 1)]
    return ConfidenceSequence(float(lo), float(hi), int(x.size), alpha)


def ci_width_reached(
    values: Sequence[float] | np.ndarray, width: float, alpha: float = 0.05
) -> bool:
    """Stopping rule for ``run --until ci-width=W``: the confidence sequence is narrower than W.

    Args:
        values: The main metric's per-sample values in [0, 1], in arrival order.
        width: Target full width of the interval.
        alpha: Miscoverage of the sequence (0.05 for a 95 % interval).
    """
    return len(values) > 0 and confidence_sequence(values, alpha).width < width


Decision = Literal["continue", "regression", "no-regression", "inconclusive"]


@dataclass(frozen=True)
class SequentialDecision:
    """Outcome of the paired sequential test after the pairs seen so far.

    Attributes:
        decision: ``"continue"`` (run another block), ``"regression"`` (new is worse than
            base: mean(new - base) < 0 established), ``"no-regression"`` (new is not worse by
            more than ``margin``), or ``"inconclusive"`` (budget ``max_n`` spent first).
        n: Pairs used: where the decision was reached, or all pairs seen.
        margin: The d in "worse by more than d".
        alpha: Bound on each error: P(regression | no drop) and P(no-regression | drop >= d).
        e_regression: Largest betting wealth against "no drop" up to ``n`` (>= 1/alpha rejects).
        e_no_regression: Same, against "drop >= margin".
        mean_diff: Mean of new - base over the ``n`` pairs.
    """

    decision: Decision
    n: int
    margin: float
    alpha: float
    e_regression: float
    e_no_regression: float
    mean_diff: float


def _one_sided_log_wealth(x: np.ndarray, m: float, above: bool) -> np.ndarray:
    """Log wealth of the aGRAPA bettor against H0: mean <= m (above) or mean >= m (not above).

    The bet is predictable and clipped so that each factor stays >= 1 - c: wealth is then a
    nonnegative supermartingale under H0 and Ville's inequality bounds the error.
    """
    mu, var = _running_moments(x)
    gap = mu - m if above else m - mu
    cap = _C / m if above else _C / (1 - m)
    lam = np.clip(gap / (var + gap**2), 0.0, cap)
    step = x - m if above else m - x
    return np.cumsum(np.log1p(lam * step))


def paired_sequential_test(
    base: Sequence[float] | np.ndarray,
    new: Sequence[float] | np.ndarray,
    margin: float,
    alpha: float = 0.05,
    max_n: int | None = None,
) -> SequentialDecision:
    """Is new worse than base? An anytime-valid test on paired scores in [0, 1].

    Call it after every block with all pairs so far (same seeds on both sides, in order).
    With d = mean(new - base): ``regression`` is declared when the wealth against "d >= 0"
    reaches 1/alpha, ``no-regression`` when the wealth against "d <= -margin" does. Both are
    valid at any stopping time (Ville's inequality), so no alpha is spent by looking often.
    Once the interval between the two is narrow enough one of them must fire; ``max_n`` caps
    the cost for drops close to margin / 2.

    Args:
        base: Base per-episode scores in [0, 1] (1 = success).
        new: New per-episode scores, paired with ``base``.
        margin: d > 0: "worse by more than d" is what must be ruled out to pass.
        alpha: Bound on each error probability.
        max_n: Pair budget; reaching it without a decision gives ``"inconclusive"``.

    Raises:
        ValueError: Unequal lengths, scores outside [0, 1], or margin not in (0, 1).
    """
    b = np.asarray(base, np.float64)
    w = np.asarray(new, np.float64)
    if b.shape != w.shape or b.ndim != 1:
        raise ValueError("paired scores must be 1-D and of equal length")
    if not 0 < margin < 1:
        raise ValueError("margin must be in (0, 1)")
    if b.size and (min(b.min(), w.min()) < 0 or max(b.max(), w.max()) > 1):
        raise ValueError("paired_sequential_test needs scores in [0, 1]")
    x = (w - b + 1) / 2  # in [0, 1]; mean(x) = (d + 1) / 2
    if max_n is not None:
        x = x[:max_n]
    log_reg = _one_sided_log_wealth(x, 0.5, above=False)
    log_ok = _one_sided_log_wealth(x, (1 - margin) / 2, above=True)
    threshold = math.log(1 / alpha)
    hits_reg = np.flatnonzero(log_reg >= threshold)
    hits_ok = np.flatnonzero(log_ok >= threshold)
    first_reg = int(hits_reg[0]) if hits_reg.size else None
    first_ok = int(hits_ok[0]) if hits_ok.size else None
    decision: Decision
    if first_reg is not None and (first_ok is None or first_reg <= first_ok):
        decision, n = "regression", first_reg + 1
    elif first_ok is not None:
        decision, n = "no-regression", first_ok + 1
    else:
        n = int(x.size)
        budget_spent = max_n is not None and n >= max_n
        decision = "inconclusive" if budget_spent else "continue"
    used = x[:n]
    return SequentialDecision(
        decision=decision,
        n=n,
        margin=margin,
        alpha=alpha,
        e_regression=float(np.exp(log_reg[:n].max())) if n else 1.0,
        e_no_regression=float(np.exp(log_ok[:n].max())) if n else 1.0,
        mean_diff=float(2 * used.mean() - 1) if n else float("nan"),
    )
