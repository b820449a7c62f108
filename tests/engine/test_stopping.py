"""``--until ci-width=W`` stops a task early and reports the confidence sequence."""

import json

import pytest

from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.engine.stopping import CiWidthRule, parse_until
from cosmos3_eval.errors import UserError


def test_parse_until():
    assert parse_until("ci-width=0.2") == 0.2
    for bad in ("ci-width=2", "width=0.2", "ci-width=x"):
        with pytest.raises(UserError, match="--until"):
            parse_until(bad)


def test_rule_orders_by_index_and_counts_errors():
    rule = CiWidthRule(0.5, "accuracy", on_error=0.0)
    rule.add({"index": 1, "scores": {"accuracy": 1.0}})
    rule.add({"index": 0, "error": "boom", "scores": {}})
    assert rule._ordered() == [0.0, 1.0]
    with pytest.raises(UserError, match=r"\[0, 1\]"):
        rule.add({"index": 2, "scores": {"accuracy": 3.0}})


def test_run_until_stops_early_with_cost_and_stopping_sections(tmp_path):
    opts = RunOptions(out=tmp_path, progress=False, until_ci_width=0.4, gpu_hour_cost=3.6)
    (run,) = evaluate("random", {}, [("physqa-sim-v1", 400)], opts)
    manifest = json.loads((run.run_dir / "manifest.json").read_text())
    stop = run.metrics["stopping"]
    assert stop["stopped_early"] and run.metrics["n_samples"] == stop["n"] < 400
    lo, hi = stop["confidence_sequence"]
    assert hi - lo < 0.4 and run.metrics["metrics"]["accuracy"]["ci95"] == [lo, hi]
    assert manifest["stopping"] == stop
    cost = manifest["cost"]
    assert cost["n"] == stop["n"] and cost["calls_per_sample"] == pytest.approx(1 / 8, abs=0.01)
    assert cost["bytes_sent"] == "n/a" and cost["cost_per_sample"] is not None
    # Resuming with the rule already met runs nothing more.
    (again,) = evaluate("random", {}, [("physqa-sim-v1", 400)], opts)
    assert again.n_new == 0 and again.metrics == run.metrics
