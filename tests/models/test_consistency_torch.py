"""The torch adapter serves the video + action and inverse-dynamics capabilities."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

from cosmos3_eval.api.model import Capability, capabilities  # noqa: E402
from cosmos3_eval.benchmarks.consistency import ImagineConfig, ImaginePush  # noqa: E402
from cosmos3_eval.benchmarks.consistency_open import InverseConfig, InversePush  # noqa: E402
from cosmos3_eval.models.torch_model import TorchModel  # noqa: E402


class TinyVideoPolicy(torch.nn.Module):
    """Actions = tanh(W @ pusher_pos); video = the current frame held (a test double)."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)

    def act_with_video(self, requests):
        from cosmos3_eval.api.types import VideoActionOutput

        out = []
        for r in requests:
            x = torch.as_tensor(r.proprio["pusher_pos"])[None]
            a = torch.tanh(self.lin(x)).numpy().astype(np.float32)
            video = np.repeat(r.frames[-1:], r.num_frames, axis=0)
            out.append(VideoActionOutput(video, np.repeat(a, r.chunk_size, axis=0)))
        return out

    def infer_actions(self, requests):
        from cosmos3_eval.api.types import ActionChunk

        return [ActionChunk(np.zeros((r.num_actions, 2), np.float32)) for r in requests]


def test_torch_adapter_runs_the_consistency_tasks(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "tiny.safetensors"
    safetensors_torch.save_file(TinyVideoPolicy().state_dict(), str(ckpt))
    m = TorchModel(module=f"{__name__}:TinyVideoPolicy", checkpoint=str(ckpt), device="cpu")
    assert {Capability.ACT_WITH_VIDEO, Capability.INFER_ACTIONS} <= capabilities(m)
    b = ImaginePush("imagine-push-v1", ImagineConfig(horizon=10, chunk_size=5), Path())
    reqs = [b.request(b.sample(i, i), False) for i in range(2)]
    traces = b.call_model(m.act_with_video, reqs)
    scores = [b.score(b.sample(i, i), r, t).scores for i, (r, t) in enumerate(zip(reqs, traces))]
    assert all(0.0 <= s["consistency"].value <= 1.0 for s in scores)
    inv = InversePush("inverse-push-v1", InverseConfig(image_size=48), Path())
    s = inv.sample(0, 5)
    req = inv.request(s, False)
    assert inv.score(s, req, m.infer_actions([req])[0]).scores["final_state_error"].value > 0
    b.close()
    inv.close()
