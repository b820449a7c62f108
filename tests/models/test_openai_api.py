import json
import logging
import time

import pytest

from cosmos3_eval.api.types import QARequest
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.errors import ConfigError, ModelOutputError, UserError
from cosmos3_eval.models.http_retry import RetryPolicy, parse_retry_after
from cosmos3_eval.models.openai_api import OpenAIChatModel
from tests.helpers.fault_server import FaultServer


@pytest.fixture(scope="module")
def server():
    with FaultServer(fail_times=1, retry_after=0.3, slow_s=2.0) as s:
        yield s


def model(server, case, **kw):
    kw.setdefault("backoff", 0.01)
    return OpenAIChatModel(base_url=f"{server.url}/{case}/v1", **kw)


def req(i=0, **kw):
    return QARequest(
        id=f"q{i}", question=f"How many cubes? ({i})", choices=("1", "2"), seed=i, **kw
    )


@pytest.mark.parametrize("case", ["ok", "500", "429", "drop", "slow"])
def test_transient_faults_are_retried_to_success(server, case):
    m = model(server, case, timeout=0.8, max_retries=3)
    out = m.answer([req(100 + len(case))])
    assert not isinstance(out[0], Exception), out[0]
    assert out[0].text == "B"
    m.close()


def test_retry_after_is_honoured(server):
    m = model(server, "429", backoff=0.0, max_retries=2)
    r = req(7)
    assert m.answer([r])[0].text == "B"
    tries = [t for k, v in server.attempts.items() if k.startswith("429:") for t in v]
    tries = sorted(tries)[-2:]
    assert tries[1] - tries[0] >= 0.3 * 0.9  # waited for Retry-After, not the 0 s backoff


def test_faults_that_persist_are_recorded_on_the_sample_and_the_batch_completes(server):
    m = model(server, "500", max_retries=0)
    bad = model(server, "badjson")
    out = m.answer([req(1)]) + bad.answer([req(2)]) + model(server, "4xx").answer([req(3)])
    assert all(isinstance(o, Exception) for o in out)
    assert isinstance(out[1], ModelOutputError)
    # A mixed batch: only the failing sample records the error.
    flaky = model(server, "ok")
    mixed = flaky.answer([req(10), req(11), req(12)])
    assert [o.text for o in mixed] == ["B", "B", "B"]


def test_client_errors_are_not_retried(server):
    before = sum(len(v) for k, v in server.attempts.items() if k.startswith("4xx:"))
    out = model(server, "4xx", max_retries=3).answer([req(55)])
    after = sum(len(v) for k, v in server.attempts.items() if k.startswith("4xx:"))
    assert isinstance(out[0], Exception) and after - before == 1


def test_api_key_from_env_is_sent_but_never_logged_or_recorded(server, monkeypatch, caplog):
    secret = "sk-test-DO-NOT-LEAK-1234567890"
    monkeypatch.setenv("MY_KEY", secret)
    caplog.set_level(logging.DEBUG)
    m = create_model("openai", {"base_url": f"{server.url}/ok/v1", "api_key_env": "MY_KEY"})
    assert m.answer([req(77)])[0].text == "B"
    assert any(h.get("authorization") == f"Bearer {secret}" for h in server.headers_seen)
    assert secret not in json.dumps(m.info.to_json())
    assert secret not in repr(m)
    assert secret not in caplog.text
    assert m.info.params["api_key_env"] == "MY_KEY"


def test_bad_args_are_user_errors(monkeypatch):
    monkeypatch.delenv("NOPE_KEY", raising=False)
    with pytest.raises(UserError, match="NOPE_KEY"):
        OpenAIChatModel(api_key_env="NOPE_KEY")
    with pytest.raises(ConfigError):
        OpenAIChatModel(video_mode="gif")
    with pytest.raises(ConfigError, match="did you mean"):
        create_model("openai", {"base_ur": "x"})


def test_sampling_without_seed_is_flagged_non_deterministic():
    assert OpenAIChatModel(temperature=0.0, send_seed=False).deterministic
    assert OpenAIChatModel(temperature=0.7, send_seed=True).deterministic
    assert not OpenAIChatModel(temperature=0.7, send_seed=False).deterministic


def test_retry_policy_schedule():
    p = RetryPolicy(max_retries=3, backoff=1.0, max_backoff=5.0, jitter=0.0)
    assert [p.delay(i) for i in range(4)] == [1.0, 2.0, 4.0, 5.0]
    assert p.delay(0, retry_after=3.0) == 3.0 and p.delay(0, retry_after=99.0) == 5.0
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    assert 50 < parse_retry_after({"Retry-After": date}) <= 61
    assert parse_retry_after({}) is None
