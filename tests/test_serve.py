import json

import httpx
import numpy as np
import openai
import pytest
from openpi_client.websocket_client_policy import WebsocketClientPolicy

from cosmos3_eval.api.media import b64decode, decode_image, encode_image
from cosmos3_eval.api.types import (
    ActionSpec,
    ActRequest,
    I2VRequest,
    Observation,
    QARequest,
    T2IRequest,
)
from cosmos3_eval.errors import UserError
from cosmos3_eval.models.baselines import OracleModel, RandomModel
from cosmos3_eval.models.openai_api import OpenAIChatModel
from cosmos3_eval.models.openpi import OpenPIModel
from cosmos3_eval.models.vllm_omni import VllmOmniModel
from cosmos3_eval.protocols.openai import render_question
from cosmos3_eval.protocols.vllm_omni import parse_multipart
from cosmos3_eval.serve.app import build_app
from tests.helpers.servers import spawn_server

SPEC = ActionSpec(kind="robosuite_osc_pose_delta", dim=7, low=-1.0, high=1.0, chunk_size=1)


@pytest.fixture(scope="module")
def openai_server():
    with spawn_server("random", {}, "openai") as s:
        yield s


@pytest.fixture(scope="module")
def omni_server():
    with spawn_server("random", {}, "vllm-omni") as s:
        yield s


@pytest.fixture(scope="module")
def openpi_server():
    with spawn_server("random", {}, "openpi") as s:
        yield s


def qa_requests():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    vid = rng.integers(0, 256, (4, 8, 6, 3), dtype=np.uint8)
    return [
        QARequest(
            id="a", question="How many cubes?", images=(img,), choices=("1", "2", "3"), seed=11
        ),
        QARequest(
            id="b", question="Will it fall?", video=vid, fps=4.0, choices=("yes", "no"), seed=12
        ),
        QARequest(id="c", question="Count the balls.", seed=13),
        *[
            QARequest(id=f"d{i}", question="q", choices=tuple("abcdef"), seed=100 + i)
            for i in range(8)
        ],
    ]


def test_openai_package_drives_served_model(openai_server):
    client = openai.OpenAI(base_url=openai_server.url + "/v1", api_key="unused")
    assert [m.id for m in client.models.list().data] == ["random"]
    r = qa_requests()[0]
    from cosmos3_eval.api.media import image_data_uri

    resp = client.chat.completions.create(
        model="random",
        seed=r.seed,
        temperature=0,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": image_data_uri(r.images[0])}},
                    {"type": "text", "text": render_question(r.question, r.choices)},
                ],
            }
        ],
    )
    assert resp.choices[0].message.content == RandomModel().answer([r])[0].text


@pytest.mark.parametrize("video_mode", ["frames", "video_url", "images"])
def test_openai_adapter_over_serve_equals_in_process(openai_server, video_mode):
    reqs = qa_requests()
    m = OpenAIChatModel(
        base_url=openai_server.url + "/v1", video_mode=video_mode, max_concurrency=4
    )
    remote = m.answer(reqs)
    local = RandomModel().answer(reqs)
    assert [o.text for o in remote] == [o.text for o in local]


def test_openai_server_rejects_bad_media_with_400(openai_server):
    body = {
        "model": "random",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,!!!"}},
                    {"type": "text", "text": "q"},
                ],
            }
        ],
    }
    resp = httpx.post(openai_server.url + "/v1/chat/completions", json=body)
    assert resp.status_code == 400 and "base64" in resp.json()["error"]["message"]


def test_vllm_omni_raw_http_and_adapter_equal_in_process(omni_server):
    resp = httpx.post(
        omni_server.url + "/v1/images/generations",
        json={"prompt": "a red cube", "size": "20x12", "seed": 5, "response_format": "b64_json"},
    )
    img = decode_image(b64decode(resp.json()["data"][0]["b64_json"]))
    ref = RandomModel().generate_images(
        [T2IRequest(id="x", prompt="a red cube", width=20, height=12, seed=5)]
    )
    np.testing.assert_array_equal(img, ref[0].image)

    m = VllmOmniModel(base_url=omni_server.url, max_concurrency=3)
    t2i = [
        T2IRequest(id=f"t{i}", prompt="p", width=16 + i, height=8, seed=i, style="photo" * (i % 2))
        for i in range(4)
    ]
    for a, b in zip(m.generate_images(t2i), RandomModel().generate_images(t2i)):
        np.testing.assert_array_equal(a.image, b.image)
    rng = np.random.default_rng(1)
    i2v = [
        I2VRequest(
            id=f"v{k}",
            prompt="falls",
            seed=k,
            num_frames=6,
            fps=5.0,
            frames=rng.integers(0, 256, (k, 10, 14, 3), dtype=np.uint8),
        )
        for k in (1, 2)
    ]
    for a, b in zip(m.generate_videos(i2v), RandomModel().generate_videos(i2v)):
        np.testing.assert_array_equal(a.video, b.video)


def test_openpi_client_drives_served_policy(openpi_server):
    policy = WebsocketClientPolicy("127.0.0.1", openpi_server.port)
    meta = policy.get_server_metadata()
    assert meta["model"] == "random" and meta["action_spec"] is None
    obs = {
        "observation/image": np.zeros((8, 8, 3), np.uint8),
        "observation/state": np.zeros(3, np.float32),
        "prompt": "lift",
        "cosmos3/seed": 3,
        "cosmos3/step": 4,
        "cosmos3/action_spec": json.dumps({"kind": "k", "dim": 7}),
    }
    out = policy.infer(obs)
    assert out["actions"].shape == (1, 7) and out["actions"].dtype == np.float32
    # Without the task's action spec the random policy fails: the server sends the error
    # as text (OpenPI convention) and the client raises.
    with pytest.raises(RuntimeError, match="action_spec"):
        policy.infer({"prompt": "lift"})


def act_requests(n=5):
    rng = np.random.default_rng(2)
    return [
        ActRequest(
            episode_id=f"e{i}",
            observation=Observation(
                images={"agentview": rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)},
                proprio={
                    "eef_pos": rng.normal(size=3).astype(np.float32),
                    "gripper_qpos": rng.normal(size=2).astype(np.float32),
                },
            ),
            instruction="lift the cube",
            step=3 * i,
            seed=40 + i,
            action_spec=SPEC,
        )
        for i in range(n)
    ]


def test_openpi_adapter_over_serve_equals_in_process(openpi_server):
    m = OpenPIModel(port=openpi_server.port, max_concurrency=3)
    assert m.info.action_spec is None  # random adapts to the task's spec
    reqs = act_requests()
    remote = m.act(reqs)
    local = RandomModel().act(reqs)
    for a, b in zip(remote, local):
        np.testing.assert_array_equal(a.actions, b.actions)
    # The connection survives many calls and an error on one sample does not stop the batch.
    bad = ActRequest(episode_id="x", observation=Observation(), instruction="", action_spec=None)
    out = m.act([reqs[0], bad, reqs[1]])
    assert isinstance(out[1], Exception) and not isinstance(out[0], Exception)
    np.testing.assert_array_equal(m.act([reqs[2]])[0].actions, local[2].actions)
    m.close()


def test_build_app_refuses_unservable_models():
    with pytest.raises(UserError, match="privileged"):
        build_app(OracleModel(), "openai")
    with pytest.raises(UserError, match="did you mean"):
        build_app(RandomModel(), "openia")

    class OnlyAct:
        info = RandomModel().info

        def act(self, requests):
            return []

    with pytest.raises(UserError, match="answer"):
        build_app(OnlyAct(), "openai")


def test_parse_multipart_roundtrip():
    req = httpx.Request(
        "POST",
        "http://x/",
        data={"prompt": "héllo", "num_frames": "3"},
        files={"input_reference": ("f.png", encode_image(np.ones((2, 2, 3), np.uint8)))},
    )
    fields, files = parse_multipart(req.headers["content-type"], req.read())
    assert fields == {"prompt": "héllo", "num_frames": "3"}
    assert decode_image(files["input_reference"]).shape == (2, 2, 3)
