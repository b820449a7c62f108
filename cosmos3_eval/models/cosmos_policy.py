"""``cosmos-policy``: a policy behind NVIDIA's Cosmos LIBERO policy server (HTTP + JSON).

Speaks :mod:`cosmos3_eval.protocols.cosmos_policy`: one ``POST /predict_batch`` per decision
round for all envs in flight (``/predict`` for a single env). Before the first episode it
reads ``GET /info`` and fills / checks the action contract: chunk size (``chunk`` model arg
vs the server's ``action_chunk_size``), dimension (10), fps (20), normalisation, cameras and
image size where the server states them (NVIDIA's server states chunk, dims and fps only; the
rest is then the documented default). A mismatch is a user error before step one.

Conversion to the env (every step a named converter of :mod:`cosmos3_eval.api.actions_cosmos`):
optional quantile de-normalisation (``normalization=quantile_rot`` + ``stats=<json>``, for a
server that returns normalised actions; NVIDIA's de-normalises itself), rot6d -> axis-angle,
gripper ``1 - 2g``. The adapter emits LIBERO 7-D actions (:data:`LIBERO_OSC_7D`), and it reads
frames in LIBERO's orientation, rotating them upright itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from cosmos3_eval.api.actions import LIBERO_OSC_7D
from cosmos3_eval.api.actions_cosmos import (
    COSMOS_LIBERO_10D,
    cosmos_libero10d_to_libero7d,
    load_quantile_stats,
    quantile_denormalize,
)
from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.redact import redact_text, redact_url
from cosmos3_eval.api.types import ActionChunk, ActRequest
from cosmos3_eval.api.wire import WireCounter
from cosmos3_eval.errors import ActionSpaceMismatch, ModelOutputError, UserError
from cosmos3_eval.protocols import cosmos_policy as wire


@declare_args
class CosmosPolicyModel:
    """Client of a Cosmos LIBERO policy server.

    Args:
        url: Server base URL, e.g. ``http://127.0.0.1:8000``.
        chunk: Expected chunk size (``None``: take the server's).
        normalization: ``none`` (server de-normalises) or ``quantile`` / ``quantile_rot``.
        stats: Statistics JSON for client-side de-normalisation.
        domain_name: The ``domain_name`` field of requests.
        timeout: Seconds per HTTP request.
        send_meta: Send the cosmos3 seed / step / episode keys (ignored by NVIDIA's server).
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        chunk: int | None = None,
        normalization: str = "none",
        stats: str | None = None,
        domain_name: str = "libero",
        timeout: float = 120.0,
        send_meta: bool = True,
    ) -> None:
        import requests

        if normalization not in ("none", "quantile", "quantile_rot"):
            raise UserError(f"normalization must be none/quantile/quantile_rot: {normalization}")
        if normalization != "none" and not stats:
            raise UserError(f"normalization={normalization} needs stats=<statistics json>")
        self.url = url.rstrip("/")
        self.shown_url = redact_url(self.url)  # for params and messages: never the key
        self.timeout = float(timeout)
        self.domain_name = domain_name
        self.send_meta = bool(send_meta)
        self._http = requests.Session()
        self.wire = WireCounter()
        self._http.hooks["response"].append(self.wire.requests_hook)
        self.stats = load_quantile_stats(stats, normalization) if stats else None
        self.server = self._get_info()
        self.chunk = self._check_contract(chunk, normalization)
        self.info = ModelInfo(
            name="cosmos-policy",
            revision=str(self.server.get("checkpoint") or ""),
            params={"url": self.shown_url, "chunk": self.chunk, "normalization": normalization},
            action_spec=dataclasses.replace(LIBERO_OSC_7D, chunk_size=self.chunk),
        )

    def _get_info(self) -> dict[str, Any]:
        import requests

        try:
            resp = self._http.get(f"{self.url}/info", timeout=min(self.timeout, 30.0))
            resp.raise_for_status()
            return resp.json()
        except requests.RequestException as exc:
            raise UserError(
                f"cosmos-policy: cannot read {self.shown_url}/info: {redact_text(str(exc))}"
            ) from exc

    def _check_contract(self, chunk: int | None, normalization: str) -> int:
        """Fill the contract from ``/info`` and check every field the server states."""
        s = self.server
        diffs = []
        dim = int(s.get("raw_action_dim") or s.get("max_action_dim") or COSMOS_LIBERO_10D.dim)
        if dim != COSMOS_LIBERO_10D.dim:
            diffs.append(f"action dim: server {dim} vs {COSMOS_LIBERO_10D.dim}")
        fps = float(s.get("fps", COSMOS_LIBERO_10D.control_hz))
        if fps != COSMOS_LIBERO_10D.control_hz:
            diffs.append(f"fps: server {fps:g} vs task {COSMOS_LIBERO_10D.control_hz:g}")
        served = int(s.get("action_chunk_size") or wire.DEFAULT_CHUNK)
        if chunk is not None and int(chunk) != served:
            diffs.append(f"chunk: server {served} vs chunk={chunk}")
        # A server that de-normalises reports "none"; NVIDIA's reports nothing (it does too).
        server_norm = s.get("action_normalization", "none")
        if server_norm != "none" and normalization == "none":
            diffs.append(f"normalization: server returns '{server_norm}'-normalised actions")
        for key, want in (
            ("rotation", COSMOS_LIBERO_10D.rotation),
            ("gripper", COSMOS_LIBERO_10D.gripper),
            ("cameras", list(wire.CAMERAS)),
            ("image_size", wire.IMAGE_SIZE),
        ):
            if key in s and s[key] != want:
                diffs.append(f"{key}: server {s[key]!r} vs {want!r}")
        if diffs:
            raise ActionSpaceMismatch(f"cosmos-policy server {self.shown_url}: " + "; ".join(diffs))
        return served

    def act(self, requests: list[ActRequest]) -> list[ActionChunk]:
        """One HTTP call for the whole batch; chunks converted to LIBERO 7-D."""
        items = [
            wire.encode_item(
                r.observation.images,
                r.instruction,
                *((r.seed, r.step, r.episode_id) if self.send_meta else (None, None, None)),
                domain_name=self.domain_name,
            )
            for r in requests
        ]
        if len(items) == 1:
            raw = [self._post("/predict", items[0], "action")]
        else:
            raw = self._post("/predict_batch", {"items": items}, "actions")
            if not isinstance(raw, list) or len(raw) != len(items):
                raise ModelOutputError(f"cosmos-policy: {len(items)} items, bad batch reply")
        out = []
        for chunk in raw:
            a = wire.parse_actions(chunk, COSMOS_LIBERO_10D.dim)
            if self.stats is not None:
                a = quantile_denormalize(a, self.stats)
            out.append(ActionChunk(cosmos_libero10d_to_libero7d(a).astype(np.float32)))
        return out

    def _post(self, path: str, body: dict[str, Any], key: str) -> Any:
        resp = self._http.post(f"{self.url}{path}", json=body, timeout=self.timeout)
        try:
            data = resp.json()
        except ValueError as exc:
            raise ModelOutputError(f"cosmos-policy: {path} returned {resp.status_code}") from exc
        if data.get("error") or resp.status_code != 200:
            raise ModelOutputError(
                redact_text(f"cosmos-policy: {path}: {data.get('error') or resp.status_code}")
            )
        return data[key]
