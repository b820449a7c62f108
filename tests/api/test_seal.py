"""Sealed-run derivations: keyed, deterministic, opaque; the secret never leaves the Seal."""

import hashlib

import pytest

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.api.seal import Seal, seal_request
from cosmos3_eval.api.types import ActRequest, Observation, QARequest
from cosmos3_eval.errors import UserError

KEY = b"0123456789abcdef0123456789abcdef"


def test_seeds_are_keyed_deterministic_and_unrelated_to_the_public_ones():
    a, b = Seal(KEY), Seal(KEY[::-1])
    seeds = [a.seed("physqa-sim-v1", i, 0) for i in range(50)]
    assert seeds == [Seal(KEY).seed("physqa-sim-v1", i, 0) for i in range(50)]
    assert all(0 <= s < 2**31 for s in seeds)
    assert len(set(seeds)) == 50
    assert not set(seeds) & {derive_seed("physqa-sim-v1", i, 0) for i in range(50)}
    assert seeds != [b.seed("physqa-sim-v1", i, 0) for i in range(50)]
    assert a.seed("physqa-sim-v1", 3, 0) != a.seed("physqa-sim-v1", 3, 1)


def test_request_seed_and_id_differ_from_the_generation_seed_and_name_nothing():
    s = Seal(KEY)
    gen = s.seed("physqa-sim-v1", 7, 0)
    rid = s.request_id("physqa-sim-v1/000007", gen)
    assert s.request_seed("physqa-sim-v1/000007", gen) != gen
    assert len(rid) == 32 and "physqa" not in rid and "000007" not in rid
    assert rid != s.request_id("physqa-sim-v1/000008", s.seed("physqa-sim-v1", 8, 0))


def test_commitment_is_tagged_and_the_key_stays_out_of_repr():
    s = Seal(KEY)
    assert s.commitment != hashlib.sha256(KEY).hexdigest()
    assert s.commitment == Seal(KEY).commitment != Seal(KEY[::-1]).commitment
    assert KEY.decode() not in repr(s)


def test_from_file_strips_the_newline_and_refuses_short_or_missing_secrets(tmp_path):
    f = tmp_path / "secret"
    f.write_bytes(KEY + b"\n")
    assert Seal.from_file(f) == Seal(KEY)
    f.write_text("short\n")
    with pytest.raises(UserError, match="at least 16"):
        Seal.from_file(f)
    with pytest.raises(UserError, match="cannot read"):
        Seal.from_file(tmp_path / "missing")


def test_seal_request_replaces_ids_and_seeds_of_every_request_kind():
    s = Seal(KEY)
    qa = QARequest(id="t-v1/000001", question="q", seed=5)
    act = ActRequest(episode_id="t-v1/000001", observation=Observation({}, {}), instruction="i")
    assert seal_request(None, qa, qa.id, 5) is qa
    sealed_qa = seal_request(s, qa, qa.id, 5)
    sealed_act = seal_request(s, act, act.episode_id, 5)
    assert sealed_qa.id == sealed_act.episode_id == s.request_id("t-v1/000001", 5)
    assert sealed_qa.seed == sealed_act.seed == s.request_seed("t-v1/000001", 5)
    assert sealed_qa.question == "q" and sealed_act.instruction == "i"
    assert sealed_act.observation is act.observation
