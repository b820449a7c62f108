"""``compare --adaptive``: paired blocks until the sequential gate decides; resumable runs."""

import json

import pytest

from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.adaptive import Side, adaptive_compare
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.errors import UserError

TASK = "physqa-sim-v2"


def _adaptive(tmp_path, capsys, *extra):
    argv = ["compare", "--adaptive", str(tmp_path / "base"), str(tmp_path / "new"),
            "--model-base", "oracle", "--model-new", "oracle", "--tasks", TASK,
            "--margin", "0.1", "--max-episodes", "120", "--json", *extra]  # fmt: skip
    code = main(argv)
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def _lines(path):
    return path.read_text().splitlines()


def test_degraded_model_stops_early_with_regression_and_resumes(tmp_path, capsys):
    code, verdict, err = _adaptive(tmp_path, capsys, "--model-args-new", "degrade=0.3")
    row = verdict["tasks"][0]
    assert code == 1 and row["decision"] == "regression"
    assert row["n_run"] < 120 and row["n_run"] % 10 == 0  # stopped at a block, early
    assert row["n_decision"] <= row["n_run"] and row["mean_diff"] < 0
    assert row["e_regression"] >= 1 / 0.05
    assert "-> continue" in err and "-> regression" in err
    base_dir = tmp_path / "base" / f"oracle__{TASK}"
    new_dir = tmp_path / "new" / f"oracle__{TASK}"
    for d in (base_dir, new_dir):  # normal, complete run directories of the pairs run
        assert len(_lines(d / "samples.jsonl")) == row["n_run"]
        assert json.loads((d / "manifest.json").read_text())["status"] == "complete"
        assert json.loads((d / "metrics.json").read_text())["n_samples"] == row["n_run"]
    before = _lines(new_dir / "samples.jsonl")
    # A rerun resumes: same decision, no record rerun.
    code2, verdict2, _ = _adaptive(tmp_path, capsys, "--model-args-new", "degrade=0.3")
    assert code2 == 1 and verdict2["tasks"][0]["n_run"] == row["n_run"]
    assert _lines(new_dir / "samples.jsonl") == before
    # The fixed-n gate reads the same directories.
    gate_argv = ["compare", str(tmp_path / "base"), str(tmp_path / "new"), "--max-drop", "0.1"]
    assert main(gate_argv) == 1


def test_identical_models_pass_with_no_regression(tmp_path, capsys):
    code, verdict, _ = _adaptive(tmp_path, capsys)
    row = verdict["tasks"][0]
    assert code == 0 and row["decision"] == "no-regression"
    assert row["n_run"] < 120 and row["mean_diff"] == 0
    assert row["e_no_regression"] >= 1 / 0.05


def test_budget_spent_is_inconclusive_exit_0_with_warning(tmp_path, capsys):
    code, verdict, err = _adaptive(tmp_path, capsys, "--max-episodes", "15")
    assert code == 0 and verdict["tasks"][0]["decision"] == "inconclusive"
    assert verdict["tasks"][0]["n_run"] == 15  # the budget caps the last block
    assert "warning" in err and "inconclusive" in err


def test_bad_margin_is_a_user_error(tmp_path):
    side = Side("oracle", {}, tmp_path / "b")
    with pytest.raises(UserError, match="margin"):
        adaptive_compare(side, side, [TASK], RunOptions(progress=False), 1.5, 10)
