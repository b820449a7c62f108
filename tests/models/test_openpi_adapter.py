import threading
import time

import numpy as np
import pytest
import uvicorn

from cosmos3_eval.api.actions import ROBOSUITE_OSC_7D, check_action_spec
from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.types import ActionChunk, ActRequest, Observation
from cosmos3_eval.errors import ActionSpaceMismatch, ConfigError, ModelOutputError, UserError
from cosmos3_eval.models.openpi import OpenPIModel
from cosmos3_eval.serve.app import build_app
from tests.helpers.servers import free_port


class EchoPolicy:
    """Returns a (2, 7) chunk built from what it received, to check the mapping end to end."""

    def __init__(self, dim=7):
        self.info = ModelInfo(name="echo", action_spec=ROBOSUITE_OSC_7D)
        self.dim = dim
        self.seen = []

    def act(self, requests):
        out = []
        for r in requests:
            self.seen.append(r)
            state = np.concatenate(
                [r.observation.proprio[k] for k in sorted(r.observation.proprio)]
            )
            row = np.resize(state, self.dim).astype(np.float32)
            out.append(ActionChunk(np.stack([row, row + r.step])))
        return out


@pytest.fixture(scope="module")
def echo_server():
    policy = EchoPolicy()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(policy, "openpi"), host="127.0.0.1", port=port, log_level="critical"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield policy, port
    server.should_exit = True
    thread.join(10)


def request(step=2):
    return ActRequest(
        episode_id="ep1",
        observation=Observation(
            images={
                "agentview": np.full((20, 10, 3), 200, np.uint8),
                "wrist": np.zeros((20, 10, 3), np.uint8),
            },
            proprio={
                "eef_pos": np.array([1, 2, 3], np.float32),
                "gripper_qpos": np.array([4, 5], np.float32),
            },
        ),
        instruction="lift the cube",
        step=step,
        seed=9,
        action_spec=ROBOSUITE_OSC_7D,
    )


def test_observation_mapping_from_model_args(echo_server):
    _, port = echo_server
    m = OpenPIModel(
        port=port,
        image_keys="agentview=observation/image",
        image_size=16,
        state_layout="gripper_qpos+eef_pos",
        send_meta=False,
    )
    obs = m.observation_dict(request())
    assert set(obs) == {"observation/image", "observation/state", "prompt"}
    assert obs["observation/image"].shape == (16, 16, 3)  # resized with padding
    np.testing.assert_array_equal(obs["observation/state"], [4, 5, 1, 2, 3])
    assert obs["prompt"] == "lift the cube"
    m.close()


def test_spec_from_server_metadata_passes_the_task_contract(echo_server):
    policy, port = echo_server
    m = OpenPIModel(port=port)
    assert m.info.action_spec == ROBOSUITE_OSC_7D
    check_action_spec(ROBOSUITE_OSC_7D, m.info.action_spec)
    out = m.act([request(step=2), request(step=5)])
    assert [o.actions.shape for o in out] == [(2, 7), (2, 7)]
    np.testing.assert_array_equal(out[1].actions[1] - out[1].actions[0], np.full(7, 5.0))
    seen = policy.seen[-1]
    assert seen.seed == 9 and seen.episode_id == "ep1" and seen.action_spec == ROBOSUITE_OSC_7D
    assert set(seen.observation.images) == {"agentview", "wrist"}
    m.close()


def test_declared_spec_from_args_is_checked_against_the_task(echo_server):
    _, port = echo_server
    m = OpenPIModel(
        port=port,
        action_kind="cosmos_10d_pose_delta",
        action_dim=10,
        rotation="rot6d",
        gripper="0 open, 1 close",
    )
    with pytest.raises(ActionSpaceMismatch):
        check_action_spec(ROBOSUITE_OSC_7D, m.info.action_spec)
    # The server sends 7-D chunks but the model declared 10-D: recorded on the sample.
    out = m.act([request()])
    assert isinstance(out[0], ModelOutputError) and "dim 10" in str(out[0])
    m.close()


def test_bad_args_and_unreachable_server():
    with pytest.raises(UserError, match="cannot connect"):
        OpenPIModel(port=free_port())


def test_bad_image_keys_is_a_config_error(echo_server):
    _, port = echo_server
    with pytest.raises(ConfigError, match="image_keys"):
        OpenPIModel(port=port, image_keys="agentview")
