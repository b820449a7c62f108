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


def test_leaderboard_and_report_carry_latency_and_cost(tmp_path, monkeypatch):
    from cosmos3_eval.engine.runner import RunOptions, evaluate
    from cosmos3_eval.report.site import write_report
    from cosmos3_eval.results.board import build_leaderboard

    opts = RunOptions(limit=4, out=tmp_path / "res", progress=False, gpu_hour_cost=2.0)
    evaluate("random", {}, [("physqa-sim-v2", 4)], opts)
    evaluate("oracle", {}, [("physqa-sim-v2", 4)], RunOptions(limit=4, out=tmp_path / "res"))
    board = build_leaderboard([tmp_path / "res"], tmp_path / "lb")
    rows = {
        r["model"]: r for r in json.loads((tmp_path / "lb/leaderboard.json").read_text())["rows"]
    }
    priced, unpriced = rows["random"], rows["oracle"]
    assert priced["physqa-sim-v2:latency_p50_s"] > 0 and priced["physqa-sim-v2:cost_per_sample"] > 0
    assert unpriced["physqa-sim-v2:latency_p50_s"] > 0
    assert unpriced["physqa-sim-v2:cost_per_sample"] is None  # no --gpu-hour-cost
    header = (tmp_path / "lb/leaderboard.csv").read_text().splitlines()[0]
    assert "physqa-sim-v2:latency_p50_s" in header and "physqa-sim-v2:cost_per_sample" in header
    monkeypatch.setenv("COLUMNS", "100")
    assert "latency" not in board.terminal() and "cost" not in board.terminal()
    html = write_report([tmp_path / "res"], tmp_path / "site").read_text()
    assert "p50 call latency (s)" in html and "cost / sample" in html
    assert f"{priced['physqa-sim-v2:cost_per_sample']:.3g}" in html
