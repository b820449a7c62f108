"""Typed run-directory records: real files from a run parse; unknown keys are refused."""

import json

import pytest

from cosmos3_eval.api.metrics import MetricSpec
from cosmos3_eval.api.records import Manifest, MetricsFile, SampleRecord, parse
from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.errors import DataError


def test_files_of_a_real_run_parse(tmp_path):
    opts = RunOptions(out=tmp_path, progress=False, limit=5)
    run = evaluate("random", {}, [("qa-sample-v1", None)], opts)[0].run_dir
    parse(Manifest, json.loads((run / "manifest.json").read_text()), "manifest.json")
    metrics = parse(MetricsFile, json.loads((run / "metrics.json").read_text()), "metrics.json")
    assert metrics.metrics[metrics.main_metric].level == "sample"
    for line in (run / "samples.jsonl").read_text().splitlines():
        parse(SampleRecord, json.loads(line), "samples.jsonl")


def test_unknown_field_names_file_and_field():
    rec = {"id": "t/0", "index": 0, "seed": 1, "scores": {}, "error": None, "bogus": 1}
    with pytest.raises(DataError, match=r"^f\.jsonl:4: field 'bogus'"):
        parse(SampleRecord, rec, "f.jsonl:4")


def test_episode_record_with_return_key_parses():
    rec = {"id": "t/0", "index": 0, "seed": 1, "steps": 3, "success": True, "return": 1.5,
           "termination": "success", "error": None, "model_calls": 1, "scores": {"success": 1.0},
           "category": "all"}  # fmt: skip
    assert parse(SampleRecord, rec, "x").return_ == 1.5


def test_sample_level_spec_cannot_be_stratified():
    with pytest.raises(ValueError, match="level='corpus'"):
        MetricSpec("x", stratify_by="category")
