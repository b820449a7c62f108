import multiprocessing as mp
import time

import numpy as np
import pytest

from cosmos3_eval.sim.vector import EnvSpec, EnvWorker, WorkerTimeout
from cosmos3_eval.sim.worker_protocol import recv_msg, send_msg


def test_codec_round_trip_without_pickle():
    a, b = mp.Pipe()
    msg = {
        "op": "run",
        "actions": np.arange(6, dtype=np.float32).reshape(3, 2),
        "nested": {"img": np.zeros((2, 2, 3), np.uint8), "list": [np.int64(3), 1.5, None]},
        "empty": np.zeros((0, 7)),
    }
    send_msg(a, msg)
    got = recv_msg(b)
    np.testing.assert_array_equal(got["actions"], msg["actions"])
    assert got["actions"].dtype == np.float32
    assert got["nested"]["img"].shape == (2, 2, 3) and got["nested"]["list"] == [3, 1.5, None]
    assert got["empty"].shape == (0, 7)


def test_worker_resets_runs_and_renders_on_request():
    w = EnvWorker(EnvSpec("push-block", {"image_size": 32}))
    try:
        w.send({"op": "reset", "seed": 5, "images": False, "expert": 1})
        r = w.recv(time.monotonic() + 60)
        assert r["images"] == {} and r["expert"].shape == (1, 2)
        w.send({"op": "run", "actions": np.zeros((4, 2)), "images": True, "frame": True})
        r = w.recv(time.monotonic() + 60)
        assert r["steps"] == 4 and not r["done"] and r["frames"].shape == (4, 32, 32, 3)
        assert r["images"]["top"].shape == (32, 32, 3)
    finally:
        w.close()
    assert not w.proc.is_alive()


def test_hung_worker_is_killed_and_restarted():
    spec = EnvSpec("tests.helpers.faulty_env:FaultyEnv", {"faults": {"1": "hang"}, "at_step": 0})
    w = EnvWorker(spec)
    try:
        w.send({"op": "reset", "seed": 1})
        w.recv(time.monotonic() + 60)
        old = w.proc.pid
        w.send({"op": "run", "actions": np.zeros((1, 2))})
        with pytest.raises(WorkerTimeout, match="hung"):
            w.recv(time.monotonic() + 1.0)
        assert w.restarts == 1 and w.proc.pid != old
        w.send({"op": "reset", "seed": 2})  # the fresh worker serves the next episode
        assert w.recv(time.monotonic() + 60)["steps"] == 0
    finally:
        w.close()


def test_env_errors_are_replies_not_crashes():
    w = EnvWorker(EnvSpec("push-block", {"no_such_arg": 1}))
    try:
        w.send({"op": "reset", "seed": 0})
        assert "env construction failed" in w.recv(time.monotonic() + 60)["error"]
    finally:
        w.close()
