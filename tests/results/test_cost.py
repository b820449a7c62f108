"""The cost section and the leaderboard's cost columns."""

import json

import pytest

from cosmos3_eval.results.cost import cost_columns, cost_summary


def test_cost_summary_closed_loop():
    recs = [
        {"latency_s": 0.5, "call_s": 1.0, "sim_s": 2.0, "model_calls": 4},
        {"latency_s": 1.5, "call_s": 3.0, "sim_s": 2.0, "model_calls": 6},
    ]
    c = cost_summary(recs, wall_s=4.0, workers=2, gpu_hour_cost=3600.0)
    assert c["calls_per_sample"] == 5 and c["samples_per_s"] == 0.5
    assert c["model_share"] == 0.5 and c["sim_share"] == 0.5
    assert c["latency_per_call_s"]["p50"] == 2.0
    assert c["cost_per_sample"] == pytest.approx(1.0)  # 1 model second at 1 per second
    assert c["bytes_sent"] == "n/a"
    assert cost_summary(recs, 4.0, wire={"sent": 10, "received": 20})["bytes_received"] == 20


def test_cost_columns(tmp_path):
    assert cost_columns(tmp_path)["samples_per_s"] is None  # no manifest / older run
    cost = cost_summary([{"latency_s": 0.1, "call_s": 0.8}], 1.0)
    (tmp_path / "manifest.json").write_text(json.dumps({"cost": cost}))
    cols = cost_columns(tmp_path)
    assert cols["latency_p50_s"] == 0.8 and cols["samples_per_s"] == 1.0
