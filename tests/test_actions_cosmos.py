"""Known-answer and round-trip tests of the Cosmos LIBERO converters."""

import json

import numpy as np
import pytest

from cosmos3_eval.api import actions_cosmos as ac
from cosmos3_eval.api.actions import axis_angle_to_matrix, matrix_to_quat, quat_to_matrix


def test_rot6d_known_answers():
    # Identity; +90 deg about z: columns x->y, y->-x.
    np.testing.assert_allclose(ac.axis_angle_to_rot6d(np.zeros(3)), [1, 0, 0, 0, 1, 0])
    r6 = ac.axis_angle_to_rot6d(np.array([0, 0, np.pi / 2]))
    np.testing.assert_allclose(r6, [0, 1, 0, -1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(ac.rot6d_to_axis_angle(r6), [0, 0, np.pi / 2], atol=1e-12)


def test_quaternion_known_answer_and_round_trip():
    q = matrix_to_quat(axis_angle_to_matrix(np.array([np.pi / 2, 0, 0])))
    np.testing.assert_allclose(q, [np.sqrt(0.5), np.sqrt(0.5), 0, 0], atol=1e-12)
    rng = np.random.default_rng(0)
    v = rng.normal(size=(200, 3))
    m = axis_angle_to_matrix(v)
    np.testing.assert_allclose(quat_to_matrix(matrix_to_quat(m)), m, atol=1e-12)


def test_rot6d_round_trip_and_non_orthonormal_input():
    rng = np.random.default_rng(1)
    v = rng.uniform(-1, 1, size=(500, 3)) * 1.5  # |angle| < pi
    np.testing.assert_allclose(ac.rot6d_to_axis_angle(ac.axis_angle_to_rot6d(v)), v, atol=1e-9)
    # A network emits a non-orthonormal rot6d: Gram-Schmidt still gives a rotation.
    noisy = ac.axis_angle_to_rot6d(v[:5]) * 1.3 + 0.01
    m = ac.rot6d_to_matrix(noisy)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-9)


def test_gripper_1_minus_2g():
    # Cosmos LIBERO: 1 = open, 0 = close; LIBERO: -1 open, +1 close.
    np.testing.assert_array_equal(ac.gripper_open01_to_pm1(np.array([0.0, 0.5, 1.0])), [1, 0, -1])
    g = np.linspace(0, 1, 11)
    np.testing.assert_allclose(ac.gripper_pm1_to_open01(ac.gripper_open01_to_pm1(g)), g)


def test_10d_7d_known_answer_and_round_trip():
    a10 = np.array([0.1, -0.2, 0.3, 1, 0, 0, 0, 1, 0, 1.0])  # identity rotation, open
    np.testing.assert_allclose(ac.cosmos_libero10d_to_libero7d(a10), [0.1, -0.2, 0.3, 0, 0, 0, -1])
    rng = np.random.default_rng(2)
    a7 = rng.uniform(-1, 1, size=(100, 7))
    back = ac.cosmos_libero10d_to_libero7d(ac.libero7d_to_cosmos_libero10d(a7))
    np.testing.assert_allclose(back, a7, atol=1e-12)
    # float32 chunks survive the float64 round trip bit for bit
    a32 = a7.astype(np.float32)
    back32 = ac.cosmos_libero10d_to_libero7d(ac.libero7d_to_cosmos_libero10d(a32))
    np.testing.assert_array_equal(back32.astype(np.float32), a32)


def test_quantile_stats_file(tmp_path):
    stats = {
        "global": {"q01": [0.0] * 10, "q99": [1.0] * 10},
        "global_raw": {"q01": [-1.0] * 9 + [0.0], "q99": [1.0] * 9 + [2.0]},
    }
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(stats))
    s = ac.load_quantile_stats(str(path), "quantile_rot")  # reads global_raw
    x = np.array([0.5] * 9 + [1.0])
    np.testing.assert_allclose(ac.quantile_normalize(x, s), [0.5] * 9 + [0.0])
    np.testing.assert_allclose(ac.quantile_denormalize(np.full(10, -1.0), s), s.q01)
    np.testing.assert_allclose(ac.quantile_denormalize(ac.quantile_normalize(x, s), s), x)
    assert ac.load_quantile_stats(str(path), "quantile").q99[0] == 1.0
    path.write_text("{}")
    with pytest.raises(ValueError, match="q01"):
        ac.load_quantile_stats(str(path))
