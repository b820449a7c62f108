import json

import pytest

from cosmos3_eval.api.records import TIMING_FIELDS
from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.errors import RunFailed, UserError
from tests.helpers.toybench import FLAKY


def _records(run_dir):
    lines = (run_dir / "samples.jsonl").read_text().splitlines()
    out = [json.loads(x) for x in lines]
    for r in out:
        for key in TIMING_FIELDS:  # wall-clock measurements differ between runs
            r.pop(key, None)
        r.pop("sim_s", None)
        r.pop("call_s", None)
    return out


def test_oracle_is_perfect_and_random_at_chance(toy_task, tmp_path):
    opts = RunOptions(out=tmp_path / "r", progress=False, limit=40)
    (oracle,) = evaluate("oracle", {}, [(toy_task, None)], opts)
    assert oracle.metrics["metrics"]["accuracy"]["value"] == 1.0
    assert set(oracle.metrics["metrics"]) == {"accuracy", "accuracy/even", "accuracy/odd"}
    (rnd,) = evaluate("random", {}, [(toy_task, None)], opts)
    acc = rnd.metrics["metrics"]["accuracy"]
    assert 0.05 < acc["value"] < 0.5
    assert acc["ci95"][0] <= acc["value"] <= acc["ci95"][1]


def test_batch_size_does_not_change_results(toy_task, tmp_path):
    runs = {}
    for bs in (1, 16):
        opts = RunOptions(out=tmp_path / f"b{bs}", batch_size=bs, progress=False)
        (runs[bs],) = evaluate("random", {}, [(toy_task, None)], opts)
    assert _records(runs[1].run_dir) == _records(runs[16].run_dir)
    assert runs[1].metrics == runs[16].metrics


def test_per_sample_faults_are_recorded_within_budget(toy_task, tmp_path):
    opts = RunOptions(out=tmp_path / "r", progress=False, max_errors=40)
    (run,) = evaluate(FLAKY, {"k": 3}, [(toy_task, None)], opts)
    recs = _records(run.run_dir)
    errs = [r for r in recs if r["error"]]
    assert errs and all("boom" in r["error"] for r in errs)
    assert all(r["seed"] % 3 == 0 for r in errs)
    assert run.metrics["n_errors"] == len(errs)
    # errored samples count as wrong for accuracy
    assert run.metrics["metrics"]["accuracy"]["value"] == pytest.approx(1 - len(errs) / 40)


def test_error_budget_exceeded_fails_the_run(toy_task, tmp_path):
    opts = RunOptions(out=tmp_path / "r", progress=False, max_errors=1)
    with pytest.raises(RunFailed, match="error budget"):
        evaluate(FLAKY, {"k": 2}, [(toy_task, None)], opts)
    manifest = json.loads(next((tmp_path / "r").glob("*/manifest.json")).read_text())
    assert manifest["status"] == "failed"


def test_non_oracle_never_sees_privileged_data(toy_task, tmp_path):
    from cosmos3_eval.engine.factory import create_model
    from cosmos3_eval.engine.runner import run_task

    model = create_model(FLAKY, {"k": 1000})
    run_task(model, toy_task, RunOptions(out=tmp_path / "r", progress=False))
    assert len(model.seen_privileged) == 40
    assert all(p is None for p in model.seen_privileged)


def test_resume_after_torn_write_equals_uninterrupted(toy_task, tmp_path):
    full_opts = RunOptions(out=tmp_path / "full", progress=False)
    (full,) = evaluate("random", {}, [(toy_task, None)], full_opts)
    part_opts = RunOptions(out=tmp_path / "part", progress=False)
    (part,) = evaluate("random", {}, [(toy_task, None)], part_opts)
    samples = part.run_dir / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    # Simulate a crash after 17 records with a torn 18th line.
    samples.write_text("".join(lines[:17]) + lines[17][:25])
    (resumed,) = evaluate("random", {}, [(toy_task, None)], part_opts)
    assert resumed.n_new == 23
    assert _records(resumed.run_dir) == _records(full.run_dir)
    assert resumed.metrics == full.metrics
    # A complete run is left alone.
    (again,) = evaluate("random", {}, [(toy_task, None)], part_opts)
    assert again.n_new == 0


def test_rerun_with_a_different_config_is_refused(toy_task, tmp_path, monkeypatch):
    opts = RunOptions(out=tmp_path / "r", progress=False)
    (run,) = evaluate("random", {}, [(toy_task, None)], opts)
    before = (run.run_dir / "samples.jsonl").read_bytes()
    with pytest.raises(UserError, match="different base_seed"):
        evaluate("random", {}, [(toy_task, None)], RunOptions(out=tmp_path / "r", seed=1))
    task_file = next(p for p in (tmp_path / "tasks").glob("*.yaml"))
    task_file.write_text(task_file.read_text().replace("size: 40", "size: 41"))
    with pytest.raises(UserError, match="task_config"):
        evaluate("random", {}, [(toy_task, None)], opts)
    assert (run.run_dir / "samples.jsonl").read_bytes() == before


def test_limit_extends_a_run_without_changing_earlier_records(toy_task, tmp_path):
    opts = RunOptions(out=tmp_path / "r", progress=False)
    (small,) = evaluate("random", {}, [(toy_task, 10)], opts)
    first = _records(small.run_dir)
    (big,) = evaluate("random", {}, [(toy_task, 30)], opts)
    assert big.n_new == 20
    assert _records(big.run_dir)[:10] == first
    assert big.metrics["n_samples"] == 30
