"""A malformed manifest, metrics.json or sample record is one line naming file + field, exit 2."""

import json

import pytest

from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.results.rundir import manifest_digest
from cosmos3_eval.results.jsonio import file_sha256


@pytest.fixture
def run_dir(tmp_path):
    opts = RunOptions(out=tmp_path / "r", progress=False, limit=6)
    return evaluate("oracle", {}, [("qa-sample-v1", None)], opts)[0].run_dir


def _edit_json(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _one_line_exit_2(capsys, run_dir, *needles):
    code = main(["leaderboard", str(run_dir), "--out", str(run_dir.parent / "board")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


def test_malformed_manifest(run_dir, capsys):
    _edit_json(run_dir / "manifest.json", lambda m: m["task"].pop("main_metric"))
    _one_line_exit_2(capsys, run_dir, "manifest.json", "task.main_metric")


def test_malformed_metrics(run_dir, capsys):
    def edit(m):
        m["metrics"][m["main_metric"]]["n"] = "many"

    _edit_json(run_dir / "metrics.json", edit)
    _one_line_exit_2(capsys, run_dir, "metrics.json", "metrics.accuracy.n")


def test_malformed_sample_record(run_dir, capsys):
    samples = run_dir / "samples.jsonl"
    lines = samples.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["seed"] = "not a seed"
    lines[2] = json.dumps(rec)
    samples.write_text("\n".join(lines) + "\n")

    # Keep the checksum valid so the record itself is what the reader trips on.
    def reseal(m):
        m.update(samples_sha256=file_sha256(samples))
        m.update(manifest_sha256=manifest_digest(m))

    _edit_json(run_dir / "manifest.json", reseal)
    code = main(["compare", str(run_dir), str(run_dir)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "samples.jsonl:3" in err and "'seed'" in err
