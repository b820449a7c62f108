"""Same seed => identical samples.jsonl (timing aside) and metrics.json, whatever the batch size."""

import json

from cosmos3_eval.api.records import TIMING_FIELDS
from cosmos3_eval.engine.runner import RunOptions, evaluate

TASK = "physqa-sim-v1"


def _files(run):
    recs = [json.loads(x) for x in (run.run_dir / "samples.jsonl").read_text().splitlines()]
    for r in recs:
        for key in TIMING_FIELDS:  # wall-clock measurements differ between runs
            r.pop(key, None)
        r.pop("sim_s", None)
        r.pop("call_s", None)
    return recs, json.loads((run.run_dir / "metrics.json").read_text())


def _run(out, **kw):
    (run,) = evaluate("random", {}, [(TASK, 32)], RunOptions(out=out, progress=False, **kw))
    return run


def test_same_seed_twice_and_batch_sizes_give_identical_files(tmp_path):
    a = _files(_run(tmp_path / "a", batch_size=1, seed=5))
    b = _files(_run(tmp_path / "b", batch_size=16, seed=5))
    c = _files(_run(tmp_path / "c", batch_size=16, seed=5))
    assert a == b == c
    d = _files(_run(tmp_path / "d", batch_size=16, seed=6))
    assert [r["seed"] for r in d[0]] != [r["seed"] for r in a[0]]
