"""Leaderboard build from result files alone, and the compare gate's exit codes."""

import csv
import json

import pytest

from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.runner import RunOptions, evaluate

TASK = "qa-sample-v1"


def _run(out, model="oracle", args=None, seed=0, label=None):
    opts = RunOptions(out=out, progress=False, seed=seed, label=label)
    return evaluate(model, args or {}, [(TASK, None)], opts)[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    _run(root / "base")
    _run(root / "same")
    _run(root / "worse", args={"degrade": 0.5}, label="oracle-degraded")
    _run(root / "other-seed", seed=1)
    _run(root / "board", "random")
    _run(root / "board")
    return root


def test_leaderboard_from_files_ranks_oracle_first(runs, tmp_path, capsys):
    assert main(["leaderboard", str(runs / "board"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(open(tmp_path / "leaderboard.csv")))
    by_model = {r["model"]: r for r in rows}
    assert set(by_model) == {"oracle", "random"}
    # 0-100 everywhere; one family of four: partial rows, not ranked.
    assert float(by_model["oracle"][TASK]) == 100.0
    assert by_model["oracle"]["rank"] == "" and by_model["random"]["status"] == "partial"
    assert by_model["oracle"]["run_ids"].startswith("oracle__qa-sample-v1-")
    md = (tmp_path / "LEADERBOARD.md").read_text()
    assert "100.0 ± 0.0" in md and "random" in md and "## Runs" in md and "±" in out
    board = json.loads((tmp_path / "leaderboard.json").read_text())
    assert len(board["rows"]) == 2
    assert (tmp_path / "index.html").is_file()


def test_compare_same_model_and_seed_is_zero_and_passes(runs, capsys):
    code = main(["compare", str(runs / "base"), str(runs / "same")])
    out = capsys.readouterr().out
    assert code == 0
    assert "+0.000" in out and "REGRESSION" not in out


def test_compare_degraded_oracle_is_a_regression_naming_the_task(runs, capsys):
    code = main(["compare", str(runs / "base"), str(runs / "worse"), "--max-drop", "0.02"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"REGRESSION in: {TASK}" in out
    # The same drop is tolerated when --max-drop is larger than it.
    assert main(["compare", str(runs / "base"), str(runs / "worse"), "--max-drop", "0.9"]) == 0


def test_compare_different_seeds_is_not_comparable(runs, capsys):
    code = main(["compare", str(runs / "base"), str(runs / "other-seed")])
    err = capsys.readouterr().err
    assert code == 2
    assert "seeds differ" in err or "sample sets differ" in err
