"""Sealed runs: seeds and request ids keyed by a secret, so no request regenerates its truth.

In an *open* run (the default) sample *i* of task *t* is generated from the public
``derive_seed(t, i, base_seed)`` and the model receives that seed and the id ``t/i``: anyone
can regenerate every scene, which is what makes open runs exactly reproducible by everyone,
and also what lets a model rebuild the ground truth with the package's own generators.

In a *sealed* run the generation seed is ``HMAC-SHA256(secret, "generate|t|i|base_seed")``
and the model receives a different keyed seed (for its own sampling) and an opaque id, both
keyed by ``HMAC-SHA256(secret, "request|<sample id>|<generation seed>")``. Without the secret
nothing a model receives names its scene. The run records keep the stable sample ids and the
generation seeds (so sealed runs with the same secret pair up and resume), and the manifest
stores only a commitment to the secret (:attr:`Seal.commitment`), never the secret itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosmos3_eval.errors import UserError

SEAL_FILE_ENV = "COSMOS3_EVAL_SEAL_FILE"
"""Environment variable naming the secret file when ``--seal`` is not given."""

SEAL_SCHEME = "hmac-sha256/v1"
"""Name of the derivation below, written to the manifest; bump it if the derivation changes."""

MIN_SECRET_BYTES = 16
_COMMITMENT_TAG = b"cosmos3-eval/seal-commitment/v1\x00"


def _seed31(digest: bytes) -> int:
    # Same width as derive_seed: every RNG seed API (MuJoCo, robosuite) accepts 31 bits.
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class Seal:
    """The secret of a sealed run and the keyed derivations made from it.

    Args:
        key: The secret bytes (kept out of ``repr`` so it never lands in a log or traceback).
    """

    key: bytes = field(repr=False)

    @classmethod
    def from_file(cls, path: str | Path) -> Seal:
        """Read the secret from a file (trailing whitespace and newlines are ignored).

        Raises:
            UserError: The file is missing, unreadable or holds fewer than 16 bytes.
        """
        try:
            key = Path(path).read_bytes().rstrip()
        except OSError as exc:
            raise UserError(f"cannot read the seal secret file {path}: {exc.strerror}") from None
        if len(key) < MIN_SECRET_BYTES:
            raise UserError(
                f"the seal secret in {path} has {len(key)} bytes; use at least "
                f"{MIN_SECRET_BYTES} random bytes (e.g. `openssl rand -hex 32 > {path}`)"
            )
        return cls(key)

    @property
    def commitment(self) -> str:
        """sha256 of the secret under a domain tag: names the secret without revealing it."""
        return hashlib.sha256(_COMMITMENT_TAG + self.key).hexdigest()

    def _mac(self, message: str) -> bytes:
        return hmac.new(self.key, message.encode(), hashlib.sha256).digest()

    def seed(self, task_id: str, index: int, base_seed: int) -> int:
        """The generation seed of sample ``index`` (replaces ``derive_seed`` when sealed)."""
        return _seed31(self._mac(f"generate|{task_id}|{index}|{base_seed}"))

    def request_seed(self, sample_id: str, seed: int) -> int:
        """The seed a model receives for its own sampling (unrelated to the generation seed)."""
        return _seed31(self._mac(f"request-seed|{sample_id}|{seed}"))

    def request_id(self, sample_id: str, seed: int) -> str:
        """The opaque id a model receives in place of ``task/index``."""
        return self._mac(f"request-id|{sample_id}|{seed}").hex()[:32]


def seal_request(seal: Seal | None, request: Any, sample_id: str, seed: int) -> Any:
    """The request as a model may see it: ids and seed replaced by keyed ones when sealed.

    Args:
        seal: The run's seal, or ``None`` for an open run (the request is returned as is).
        request: A request dataclass with ``id`` or ``episode_id`` and ``seed`` fields.
        sample_id: The stable sample / episode id the benchmark generated it for.
        seed: Its generation seed.
    """
    if seal is None:
        return request
    names = {f.name for f in dataclasses.fields(request)}
    changes: dict[str, Any] = {"seed": seal.request_seed(sample_id, seed)}
    for name in ("id", "episode_id"):
        if name in names:
            changes[name] = seal.request_id(sample_id, seed)
    return dataclasses.replace(request, **changes)
