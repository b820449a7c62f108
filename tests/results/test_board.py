"""The leaderboard cannot mislead: coverage, identities, skipped runs, one scale, safe output."""

import csv
import json

import pytest

from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.results.leaderboard import rank_rows

TASK = "qa-sample-v1"
HOSTILE = "=cmd|' /C calc'!A0<script>`x`"


def _run(out, model="oracle", args=None, label=None):
    opts = RunOptions(out=out, progress=False, label=label, limit=12)
    return evaluate(model, args or {}, [(TASK, None)], opts)[0]


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    _run(root / "a")
    _run(root / "b", args={"degrade": 0.1})
    _run(root / "c", "random", label=HOSTILE)
    failed = _run(root / "d", "random", label="crashed").run_dir
    m = json.loads((failed / "manifest.json").read_text())
    m["status"] = "failed"
    (failed / "manifest.json").write_text(json.dumps(m))
    return root


def _build(board, tmp_path, capsys, *extra):
    code = main(["leaderboard", str(board), "--out", str(tmp_path), *extra])
    return code, capsys.readouterr()


def test_args_are_separate_rows_and_partial_models_are_not_ranked(board, tmp_path, capsys):
    code, _ = _build(board, tmp_path, capsys)
    assert code == 0
    rows = list(csv.DictReader(open(tmp_path / "leaderboard.csv")))
    names = {r["model"] for r in rows}
    assert {"oracle [default]", "oracle [degrade=0.1]"} <= names
    # One family of four: family scores only, no overall and no rank.
    assert all(r["status"] == "partial" and r["overall"] == "" and r["rank"] == "" for r in rows)


def test_failed_run_is_skipped_with_a_note_and_strict_refuses(board, tmp_path, capsys):
    code, cap = _build(board, tmp_path, capsys)
    assert code == 0 and "note: skipped" in cap.out and "crashed" in cap.out
    assert "skipped" in (tmp_path / "LEADERBOARD.md").read_text()
    code, cap = _build(board, tmp_path, capsys, "--strict")
    assert code == 2 and "incomplete" in cap.err


def test_csv_scores_are_all_on_the_0_100_scale(board, tmp_path, capsys):
    _build(board, tmp_path, capsys)
    rows = list(csv.DictReader(open(tmp_path / "leaderboard.csv")))
    oracle = next(r for r in rows if r["model"] == "oracle [default]")
    assert float(oracle[TASK]) == 100.0 and float(oracle["family:understanding"]) == 100.0
    assert 50 < float(oracle[f"{TASK}:ci_low"]) < 100


def test_hostile_model_name_is_escaped_in_markdown_and_neutralised_in_csv(board, tmp_path, capsys):
    _build(board, tmp_path, capsys)
    md = (tmp_path / "LEADERBOARD.md").read_text()
    assert HOSTILE not in md and "<script>" not in md and "&lt;script&gt;" in md
    assert "\\|" in md and "\\`x\\`" in md
    raw = (tmp_path / "leaderboard.csv").read_text()
    assert "'=cmd" in raw
    assert not any(line.startswith("=") or ",=" in line for line in raw.splitlines())


def _row(name, mean, se, status="ranked"):
    return {"model": name, "overall": (mean, se), "status": status}


def test_ranks_are_competition_style_with_ci_overlap_to_the_group_leader():
    rows = rank_rows([_row("a", 0.90, 0.01), _row("b", 0.89, 0.01), _row("c", 0.70, 0.01),
                      _row("d", 0.69, 0.01), _row("e", 0.40, 0.01),
                      _row("o", 1.0, 0.0, "reference")])  # fmt: skip
    assert [(r["model"], r["rank"]) for r in rows] == [
        ("a", 1), ("b", 1), ("c", 3), ("d", 3), ("e", 5), ("o", None)
    ]  # fmt: skip
