"""The OpenPI codec: msgpack-numpy frames, action specs, observations and replies."""

import numpy as np
import pytest

from cosmos3_eval.api.actions import ROBOSUITE_OSC_7D
from cosmos3_eval.api.types import ActionChunk, ActRequest, Observation
from cosmos3_eval.errors import ConfigError, ModelOutputError
from cosmos3_eval.protocols.openpi import (
    ObservationLayout,
    act_request_from_obs,
    actions_reply,
    chunk_from_reply,
    observation_dict,
    pack_msgpack,
    spec_from_json,
    spec_to_json,
    unpack_msgpack,
)

IMG = np.random.default_rng(0).integers(0, 256, (9, 13, 3), dtype=np.uint8)


def test_msgpack_numpy_roundtrip():
    obj = {"a": IMG, "b": [1, "x"], "c": np.float32(2.5)}
    back = unpack_msgpack(pack_msgpack(obj))
    np.testing.assert_array_equal(back["a"], IMG)
    assert back["b"] == [1, "x"] and back["c"] == np.float32(2.5)


def test_action_spec_json_roundtrip_and_unknown_keys():
    assert spec_from_json(spec_to_json(ROBOSUITE_OSC_7D)) == ROBOSUITE_OSC_7D
    with pytest.raises(ConfigError):
        spec_from_json({"kind": "k", "dim": 7, "bogus": 1})


def test_observation_with_meta_decodes_to_the_same_request():
    r = ActRequest(
        episode_id="e1",
        observation=Observation(
            images={"agentview": IMG}, proprio={"eef": np.arange(3, dtype=np.float32)}
        ),
        instruction="push",
        step=4,
        seed=9,
        action_spec=ROBOSUITE_OSC_7D,
    )
    wire = unpack_msgpack(pack_msgpack(observation_dict(r, ObservationLayout(image_keys={}))))
    back = act_request_from_obs(wire)
    assert (back.episode_id, back.instruction, back.step, back.seed) == ("e1", "push", 4, 9)
    assert back.action_spec == ROBOSUITE_OSC_7D
    np.testing.assert_array_equal(back.observation.images["agentview"], IMG)
    np.testing.assert_array_equal(back.observation.proprio["eef"], np.arange(3))


def test_reply_roundtrip_and_validation():
    chunk = ActionChunk(np.ones((2, 7), np.float32))
    back = chunk_from_reply(unpack_msgpack(pack_msgpack(actions_reply(chunk, 1.0))), None)
    np.testing.assert_array_equal(back.actions, chunk.actions)
    with pytest.raises(ModelOutputError, match="dim 7"):
        chunk_from_reply({"actions": np.ones((2, 3))}, ROBOSUITE_OSC_7D)
    with pytest.raises(ModelOutputError, match="NaN"):
        chunk_from_reply({"actions": np.full((1, 7), np.nan)}, None)
