"""Readers recompute every metric from the hashed records; edited files are refused."""

import json

import pytest

from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.results.rundir import RunDir, manifest_digest

TASK = "qa-sample-v1"


@pytest.fixture
def run_dir(tmp_path):
    opts = RunOptions(out=tmp_path / "r", progress=False, limit=12)
    return evaluate("oracle", {"degrade": 0.5}, [(TASK, None)], opts)[0].run_dir


def _edit(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _refused(capsys, run_dir, *needles):
    for argv in (["leaderboard", str(run_dir), "--out", str(run_dir.parent / "b")],
                 ["compare", str(run_dir), str(run_dir)]):  # fmt: skip
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and all(n in err for n in needles), err


def test_tampered_metric_value_is_refused_naming_file_and_metric(run_dir, capsys):
    _edit(run_dir / "metrics.json", lambda m: m["metrics"]["accuracy"].update(value=0.99))
    _refused(capsys, run_dir, "metrics.json", "'accuracy'", "0.99")


def test_tampered_metric_ci_is_refused(run_dir, capsys):
    _edit(run_dir / "metrics.json", lambda m: m["metrics"]["accuracy"].update(ci95=[0.9, 1.0]))
    _refused(capsys, run_dir, "metrics.json", "'accuracy'", "ci95")


def test_edited_spec_with_consistent_values_is_refused_by_checksum(run_dir, capsys):
    _edit(run_dir / "metrics.json", lambda m: m.update(n_errors=0))
    _refused(capsys, run_dir, "metrics.json", "sha256")


def test_relabelled_manifest_is_refused(run_dir, capsys):
    _edit(run_dir / "manifest.json", lambda m: m.update(label="gpt-9"))
    _refused(capsys, run_dir, "manifest.json", "checksum")


def test_relabel_with_a_recomputed_checksum_still_disagrees_with_the_identity(run_dir, capsys):
    def edit(m):
        m["model"]["name"] = "gpt-9"
        m["manifest_sha256"] = manifest_digest(m)

    _edit(run_dir / "manifest.json", edit)
    _refused(capsys, run_dir, "manifest.json", "model.name")


def test_verified_values_are_the_recomputed_ones(run_dir):
    from cosmos3_eval.results.verify import verify_run

    v = verify_run(RunDir(run_dir))
    recs = [r for r in RunDir(run_dir).records()]
    acc = sum(r["scores"]["accuracy"] for r in recs) / len(recs)
    assert v.metrics["metrics"]["accuracy"]["value"] == pytest.approx(acc)
