"""local, process and ray executors give identical records; a killed Ray worker loses nothing."""

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from cosmos3_eval.api.records import TIMING_FIELDS
from cosmos3_eval.engine.runner import RunOptions, evaluate


def _by_id(run_dir):
    recs = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    for r in recs:
        for key in TIMING_FIELDS:  # wall-clock measurements differ between runs
            r.pop(key, None)
        r.pop("sim_s", None)
        r.pop("call_s", None)
    ids = [r["id"] for r in recs]
    assert len(ids) == len(set(ids)), "duplicated records"
    return {r["id"]: r for r in recs}


def _run(task, out, executor, **kw):
    opts = RunOptions(out=out, progress=False, executor=executor, workers=2, batch_size=4, **kw)
    (run,) = evaluate("random", {}, [(task, None)], opts)
    return run


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    root = str(Path(__file__).resolve().parents[2])
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"PYTHONPATH": root}},  # workers import tests.helpers
    )
    yield ray
    ray.shutdown()


def test_process_executor_matches_local(toy_task, tmp_path):
    local = _run(toy_task, tmp_path / "local", "local")
    proc = _run(toy_task, tmp_path / "proc", "process")
    assert _by_id(local.run_dir) == _by_id(proc.run_dir)
    assert local.metrics == proc.metrics


def test_ray_executor_matches_local_both_placements(toy_task, tmp_path, ray_local):
    local = _run(toy_task, tmp_path / "local", "local")
    for placement in ("replicate", "shared"):
        run = _run(toy_task, tmp_path / placement, "ray", model_placement=placement)
        assert _by_id(run.run_dir) == _by_id(local.run_dir), placement
        assert run.metrics == local.metrics


def test_killed_ray_worker_is_replaced_and_nothing_is_lost(toy_task, tmp_path, ray_local):
    import psutil

    local = _run(toy_task, tmp_path / "local", "local")
    killed = []

    def killer():
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            for p in psutil.process_iter(["pid", "cmdline"]):
                cmd = " ".join(p.info["cmdline"] or [])
                if "ShardWorker.run" in cmd:
                    os.kill(p.info["pid"], signal.SIGKILL)
                    killed.append(p.info["pid"])
                    return
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    opts = RunOptions(out=tmp_path / "ray", progress=False, executor="ray", workers=2,
                      batch_size=4, label="random")  # fmt: skip
    (run,) = evaluate("tests.helpers.toybench:SlowRandom", {}, [(toy_task, None)], opts)
    t.join(5)
    assert killed, "no Ray worker was seen running a shard"
    assert _by_id(run.run_dir) == _by_id(local.run_dir)


REAL_TASKS = [("physqa-sim-v1", 12), ("physics-i2v-v1", 6), ("push-block-v1", 4)]


def test_real_tasks_identical_across_local_process_and_ray(tmp_path, ray_local):
    """QA, I2V and policy records are identical whatever the executor (random model)."""
    for task, n in REAL_TASKS:
        runs = {}
        for executor in ("local", "process", "ray"):
            opts = RunOptions(out=tmp_path / executor, progress=False, executor=executor,
                              workers=2, batch_size=4)  # fmt: skip
            (runs[executor],) = evaluate("random", {}, [(task, n)], opts)
        base = _by_id(runs["local"].run_dir)
        assert len(base) == n
        for executor in ("process", "ray"):
            assert _by_id(runs[executor].run_dir) == base, (task, executor)
            assert runs[executor].metrics == runs["local"].metrics, (task, executor)
