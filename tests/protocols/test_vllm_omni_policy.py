"""Policy-mode async video jobs: the form round trip and served vs in-process parity."""

import json
from pathlib import Path

import numpy as np
import pytest

from cosmos3_eval.api.media import MediaLimits
from cosmos3_eval.api.types import ActionSpec, InverseDynamicsRequest, VideoActRequest
from cosmos3_eval.benchmarks.consistency import ImagineConfig, ImaginePush
from cosmos3_eval.benchmarks.consistency_open import InverseConfig, InversePush
from cosmos3_eval.models.consistency_baselines import StillModel
from cosmos3_eval.protocols import WireFormatError
from cosmos3_eval.protocols import vllm_omni_policy as pw
from cosmos3_eval.protocols.vllm_omni import parse_multipart

SPEC = ActionSpec(kind="push_block_velocity", dim=2)


def _decode(form):
    """What the server sees: the form through the multipart codec (via httpx's encoder)."""
    import httpx

    req = httpx.Request("POST", "http://x/v1/videos", data=form.fields, files=form.files)
    body = req.read()
    return parse_multipart(req.headers["content-type"], body)


def test_policy_form_round_trips_with_extra_params():
    frames = np.random.default_rng(0).integers(0, 256, (1, 16, 20, 3), dtype=np.uint8)
    r = VideoActRequest(
        id="a",
        instruction="push",
        frames=frames,
        chunk_size=5,
        num_frames=5,
        frame_every=1,
        fps=10.0,
        proprio={"pusher_pos": np.array([0.1, -0.2], np.float32)},
        action_spec=SPEC,
        domain_name="push_block",
        step=15,
        seed=9,
    )
    form = pw.policy_form(r, "m")
    extra = json.loads(form.fields["extra_params"])
    assert extra["action_mode"] == "policy" and extra["raw_action_dim"] == 2
    assert extra["action_chunk_size"] == 5 and extra["domain_name"] == "push_block"
    back = pw.request_from_job_form(*_decode(form), "rid", MediaLimits())
    assert isinstance(back, VideoActRequest) and np.array_equal(back.frames, frames)
    assert (back.step, back.seed, back.chunk_size, back.action_spec.dim) == (15, 9, 5, 2)
    assert np.allclose(back.proprio["pusher_pos"], [0.1, -0.2])


def test_inverse_form_round_trips_the_clip_and_frame_steps():
    frames = np.random.default_rng(1).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    r = InverseDynamicsRequest(
        id="b", frames=frames, frame_steps=(0, 8, 16), num_actions=16, action_spec=SPEC
    )
    back = pw.request_from_job_form(*_decode(pw.inverse_form(r, "m")), "rid", MediaLimits())
    assert isinstance(back, InverseDynamicsRequest) and np.array_equal(back.frames, frames)
    assert back.frame_steps == (0, 8, 16) and back.num_actions == 16


def test_form_without_extra_params_is_a_client_error():
    fields = {"prompt": "x", "num_frames": "4"}
    with pytest.raises(WireFormatError, match="extra_params"):
        pw.request_from_job_form(fields, {}, "rid", MediaLimits())


def test_job_actions_are_validated():
    with pytest.raises(Exception, match="actions"):
        pw.actions_from_job({"actions": [[0.0, np.nan]]}, 1, 2)


def _scores(bench, model_fn, n, privileged=False):
    reqs = [bench.request(bench.sample(i, 100 + i), privileged) for i in range(n)]
    outs = bench.call_model(model_fn, reqs) if isinstance(bench, ImaginePush) else model_fn(reqs)
    return [
        {k: v.value for k, v in bench.score(bench.sample(i, 100 + i), r, o).scores.items()}
        for i, (r, o) in enumerate(zip(reqs, outs))
    ]


def test_served_still_model_scores_like_in_process():
    from cosmos3_eval.models.vllm_omni import VllmOmniModel
    from tests.helpers.servers import spawn_server

    imagine = ImaginePush("imagine-push-v1", ImagineConfig(horizon=10), Path())
    inverse = InversePush("inverse-push-v1", InverseConfig(image_size=48), Path())
    local = StillModel()
    with spawn_server("still", {}, "vllm-omni") as s:
        remote = VllmOmniModel(base_url=s.url, timeout=60)
        assert _scores(imagine, remote.act_with_video, 2) == _scores(
            imagine, local.act_with_video, 2
        )
        assert _scores(inverse, remote.infer_actions, 2) == _scores(inverse, local.infer_actions, 2)
        remote.close()
    imagine.close()
    inverse.close()
