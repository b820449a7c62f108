"""Motion agreement: what it credits and what it refuses."""

import numpy as np
import pytest

from cosmos3_eval.scorers import motion as mo


def _disc(t: int, speed: float, start: float = 20.0) -> np.ndarray:
    yy, xx = np.mgrid[:64, :64]
    v = np.full((t, 64, 64, 3), 200, np.uint8)
    for i in range(t):
        v[i][(xx - (start + speed * i)) ** 2 + (yy - 32) ** 2 <= 36] = (200, 30, 30)
    return v


def test_identical_motion_is_one_and_still_is_zero():
    truth = _disc(8, 2.0)
    ft = mo.flows(truth)
    assert mo.agreement(ft, ft) == 1.0
    still = np.repeat(truth[:1], 8, axis=0)
    assert mo.agreement(ft, mo.flows(still)) == 0.0
    assert mo.agreement(mo.flows(still), mo.flows(still)) == 1.0  # nothing moves in either


def test_wrong_direction_and_black_earn_nothing():
    truth = _disc(8, 2.0)
    ft = mo.flows(truth)
    backwards = _disc(8, -2.0)
    assert mo.agreement(ft, mo.flows(backwards)) < 0.05
    black = truth.copy()
    black[1:] = 0
    assert mo.agreement(ft, mo.flows(black)) < 0.05


def test_partial_credit_for_half_speed_and_normalisation():
    truth = _disc(8, 2.0)
    ft = mo.flows(truth)
    half = mo.agreement(ft, mo.flows(_disc(8, 1.0)))
    assert 0.1 < half < 0.9
    assert mo.motion_score(0.5, 0.5) == 100.0
    assert mo.motion_score(0.25, 0.5) == pytest.approx(50.0)
    assert mo.motion_score(0.1, 0.0) == pytest.approx(100 * 0.1 / mo.MIN_CEILING)


def test_flat_regions_have_no_flow():
    # Farneback alone returns hundreds of pixels on identical flat frames; the change gate must
    # zero them.
    flat = np.full((3, 64, 64, 3), 128, np.uint8)
    assert not mo.flows(flat).any()
