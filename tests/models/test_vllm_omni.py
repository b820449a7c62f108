import numpy as np
import pytest

from cosmos3_eval.api.types import I2VRequest, T2IRequest
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.models.vllm_omni import VllmOmniModel
from tests.helpers.fault_server import FaultServer


@pytest.fixture(scope="module")
def server():
    with FaultServer(fail_times=1, retry_after=0.2, slow_s=2.0) as s:
        yield s


def model(server, case, **kw):
    kw.setdefault("backoff", 0.01)
    return VllmOmniModel(base_url=f"{server.url}/{case}", **kw)


def t2i(i):
    return T2IRequest(id=f"t{i}", prompt=f"two red cubes {i}", width=24, height=16, seed=i)


def i2v(i, k=1):
    frames = np.random.default_rng(i).integers(0, 256, (k, 16, 20, 3), dtype=np.uint8)
    return I2VRequest(
        id=f"v{i}",
        prompt="a ball falls",
        frames=frames,
        num_frames=5,
        fps=4.0,
        seed=i,
        actions=np.zeros((4, 2), np.float32),
        action_format="xy",
    )


@pytest.mark.parametrize("case", ["ok", "500", "429", "drop", "slow"])
def test_images_transient_faults_retried(server, case):
    out = model(server, case, timeout=0.8).generate_images([t2i(len(case))])
    assert not isinstance(out[0], Exception), out[0]
    assert out[0].image.shape == (16, 24, 3) and out[0].image.dtype == np.uint8
    assert (out[0].image == 7).all()


@pytest.mark.parametrize("case", ["ok", "500", "drop"])
def test_videos_transient_faults_retried(server, case):
    out = model(server, case, timeout=5).generate_videos([i2v(len(case), k=2)])
    assert not isinstance(out[0], Exception), out[0]
    assert out[0].video.shape == (5, 16, 20, 3)


@pytest.mark.parametrize(
    "case,method,match",
    [
        ("badjson", "images", "malformed"),
        ("badb64", "images", "invalid base64"),
        ("badsize", "images", "expected 24x16"),
        ("badb64", "videos", "not a decodable video"),
        ("badframes", "videos", "expected 5 frames"),
    ],
)
def test_invalid_responses_recorded_on_the_sample(server, case, method, match):
    m = model(server, case)
    if method == "images":
        out = m.generate_images([t2i(200), t2i(201)])
    else:
        out = m.generate_videos([i2v(200)])
    assert all(isinstance(o, ModelOutputError) for o in out)
    assert match in str(out[0])


def test_persistent_server_error_recorded_after_retries(server):
    out = model(server, "4xx", max_retries=2).generate_images([t2i(300)])
    assert isinstance(out[0], Exception) and "HTTP 400" in str(out[0])
