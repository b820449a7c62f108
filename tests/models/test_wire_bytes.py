"""Network adapters count their wire bytes; the manifest's cost section reports them."""

import json

import pytest

from cosmos3_eval.api.wire import WireCounter
from cosmos3_eval.engine.runner import RunOptions, evaluate
from tests.helpers.servers import spawn_server


def _cost(run):
    return json.loads((run.run_dir / "manifest.json").read_text())["cost"]


def test_counting_socket_counts_both_directions():
    class Echo:
        def send(self, data):
            self.last = data

        def recv(self):
            return self.last * 2

    counter = WireCounter()
    ws = counter.socket(Echo())
    ws.send(b"abc")
    assert ws.recv() == b"abcabc" and ws.last == b"abc"  # other attributes pass through
    assert counter.snapshot() == {"sent": 3, "received": 6}


@pytest.mark.parametrize(
    ("protocol", "adapter", "task"),
    [("openai", "openai", "physqa-sim-v2"), ("openpi", "openpi", "push-block-v1")],
)
def test_served_model_run_reports_bytes(tmp_path, protocol, adapter, task):
    with spawn_server("random", {}, protocol) as server:
        if adapter == "openai":
            args = {"base_url": server.url + "/v1", "model": "random"}
        else:
            args = {"host": "127.0.0.1", "port": server.port}
        opts = RunOptions(limit=2, out=tmp_path, progress=False)
        (run,) = evaluate(adapter, args, [(task, 2)], opts)
    cost = _cost(run)
    assert cost["bytes_sent"] > 100 and cost["bytes_received"] > 50
    # In-process models have no wire: n/a.
    (local,) = evaluate("random", {}, [(task, 2)], RunOptions(limit=2, out=tmp_path / "l"))
    assert _cost(local)["bytes_sent"] == "n/a"
