"""compare with a corpus-level main metric (compose-t2i-v1 ``overall``) next to a per-sample one.

Regression test for the ZeroDivisionError compare raised whenever compose-t2i-v1 was in both
runs: its main metric has no per-sample score of its own name.
"""

import json

import pytest

from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.runner import RunOptions, evaluate

TASKS = [("physqa-sim-v1", 60), ("compose-t2i-v1", 56)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus-runs")
    for name, args in (("base", {}), ("same", {}), ("worse", {"degrade": 0.3})):
        opts = RunOptions(out=root / name, progress=False, label=f"oracle-{name}")
        # degrade=0.3: a drop significant at these small n (0.1 is within noise here).
        evaluate("oracle", args, TASKS, opts)
    return root


def test_metrics_json_declares_levels(runs):
    (run,) = (runs / "base").glob("*__compose-t2i-v1")
    metrics = json.loads((run / "metrics.json").read_text())
    overall = metrics["metrics"]["overall"]
    assert overall["level"] == "corpus"
    assert (overall["source"], overall["stratify_by"], overall["on_error"]) == (
        "score",
        "category",
        0.0,
    )
    assert metrics["metrics"]["score"]["level"] == "sample"
    assert metrics["metrics"]["score/counting"]["level"] == "sample"


def test_compare_identical_runs_with_compose_t2i_passes(runs, capsys):
    assert main(["compare", str(runs / "base"), str(runs / "same")]) == 0
    out = capsys.readouterr().out
    assert "compose-t2i-v1" in out and "paired-bootstrap-stratified" in out
    assert "no significant regression" in out


def test_compare_degraded_oracle_reports_compose_t2i(runs, capsys):
    code = main(["compare", str(runs / "base"), str(runs / "worse"), "--max-drop", "0.0"])
    out = capsys.readouterr().out
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("compose-t2i-v1"))
    assert "overall" in out and "paired-bootstrap-stratified" in out
    assert "REGRESSION" in row and "REGRESSION in:" in out
    assert max(len(line) for line in out.splitlines()) <= 100  # fits the default terminal
