import hashlib
import pickle  # only to write a malicious file that must NOT be loaded
import textwrap

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from cosmos3_eval.api.model import Capability, capabilities
from cosmos3_eval.api.types import ActionSpec, ActRequest, Observation
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.errors import ConfigError, UserError

MODULE = textwrap.dedent(
    """
    import numpy as np
    import torch
    from cosmos3_eval.api.types import ActionChunk, ActionSpec

    class TinyPolicy(torch.nn.Module):
        action_spec = ActionSpec(kind="toy", dim=2)

        def __init__(self, hidden=4):
            super().__init__()
            self.net = torch.nn.Linear(3, 2 * hidden)
            self.head = torch.nn.Linear(2 * hidden, 2)

        def act(self, requests):
            x = torch.stack([torch.as_tensor(r.observation.proprio["pos"]) for r in requests])
            y = self.head(self.net(x.to(self.head.weight.device)))
            return [ActionChunk(row[None].cpu().numpy().astype(np.float32)) for row in y]
    """
)


@pytest.fixture()
def user_module(tmp_path, monkeypatch):
    (tmp_path / "tiny_user_policy_e.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    import sys

    sys.modules.pop("tiny_user_policy_e", None)
    mod = importlib.import_module("tiny_user_policy_e")
    torch.manual_seed(0)
    net = mod.TinyPolicy(hidden=4)
    ckpt = tmp_path / "policy.safetensors"
    save_file(net.state_dict(), str(ckpt))
    return net, ckpt


def req(x):
    return ActRequest(
        episode_id="e",
        observation=Observation(proprio={"pos": np.array(x, np.float32)}),
        instruction="",
    )


def test_loads_safetensors_and_matches_the_module(user_module):
    net, ckpt = user_module
    m = create_model(
        "torch",
        {
            "module": "tiny_user_policy_e:TinyPolicy",
            "checkpoint": str(ckpt),
            "hidden": 4,
            "device": "auto",
        },
    )
    assert capabilities(m) == frozenset({Capability.ACT})
    assert m.info.checkpoint_sha256 == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert m.info.action_spec == ActionSpec(kind="toy", dim=2)
    assert m.info.params["hidden"] == 4
    out = m.act([req([1, 2, 3]), req([0, 0, 1])])
    with torch.no_grad():
        want = net.head(net.net(torch.tensor([[1, 2, 3]], dtype=torch.float32))).numpy()
    np.testing.assert_allclose(out[0].actions, want, rtol=1e-6)
    assert out[1].actions.shape == (1, 2)


def test_bad_inputs_are_user_errors(user_module, tmp_path):
    _, ckpt = user_module
    mod = "tiny_user_policy_e:TinyPolicy"
    with pytest.raises(UserError, match="not found"):
        create_model("torch", {"module": mod, "checkpoint": str(tmp_path / "nope.safetensors")})
    with pytest.raises(UserError, match="cannot import"):
        create_model("torch", {"module": "no_such_pkg_e.mod:X", "checkpoint": str(ckpt)})
    with pytest.raises(UserError, match="does not match"):
        create_model("torch", {"module": mod, "checkpoint": str(ckpt), "hidden": 5})
    with pytest.raises(ConfigError):
        create_model("torch", {"module": mod, "checkpoint": str(ckpt), "bogus": 1})
    with pytest.raises(ConfigError):
        create_model("torch", {"checkpoint": str(ckpt)})
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(UserError, match="not a valid safetensors"):
        create_model("torch", {"module": mod, "checkpoint": str(garbage)})


class _Boom:
    def __reduce__(self):
        return (exec, ("open('PWNED_E', 'w').write('x')",))


def test_a_pickle_checkpoint_is_never_unpickled(user_module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(UserError):
        create_model("torch", {"module": "tiny_user_policy_e:TinyPolicy", "checkpoint": str(evil)})
    assert not (tmp_path / "PWNED_E").exists()
