"""``openpi``: a policy behind an OpenPI-compatible WebSocket server (msgpack-numpy frames).

Uses the ``openpi-client`` package's :class:`WebsocketClientPolicy`: on connect the server
sends its metadata; then each message is an observation dict and each reply a dict with
``"actions"`` of shape ``(T, action_dim)``.

Observation mapping (model args; lists are ``+``-separated because ``--model-args`` splits
on commas):

* ``image_keys="agentview=observation/image+wrist=observation/wrist_image"`` maps the task's
  camera names to the server's keys (default: every camera as ``observation/<camera>``);
* ``state_key`` (default ``observation/state``) receives the concatenation of the proprio
  vectors named in ``state_layout`` (default: all, sorted by name);
* ``prompt_key`` (default ``prompt``) receives the instruction;
* ``image_size`` resizes with padding to a square (OpenPI's ``resize_with_pad``; 0 = as is).

With ``send_meta=True`` (default) the adapter also sends ``cosmos3/...`` keys (seed, step,
episode id, the task's action spec, the proprio by name) that real OpenPI servers ignore
and ``cosmos3-eval serve`` uses to rebuild the exact request (needed for seeded baselines).
The codec is :mod:`cosmos3_eval.protocols.openpi`, shared with ``serve``.

The emitted :class:`~cosmos3_eval.api.types.ActionSpec` comes from the ``action_*`` model args,
else from the server metadata's ``"action_spec"``; the task checks it before the first step.
"""

from __future__ import annotations

import threading
from typing import Any

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.redact import redact_text
from cosmos3_eval.api.types import ActionChunk, ActionSpec, ActRequest
from cosmos3_eval.api.wire import WireCounter
from cosmos3_eval.errors import ConfigError, UserError
from cosmos3_eval.models.http_retry import map_concurrent
from cosmos3_eval.protocols.openpi import (
    ObservationLayout,
    chunk_from_reply,
    observation_dict,
    spec_from_json,
)


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split("+") if t.strip()]


@declare_args
class OpenPIModel:
    """Runs episodes' ``act`` requests against an OpenPI WebSocket policy server.

    Args:
        host: Server host (or a full ``ws://`` URI).
        port: Server port.
        api_key_env: Name of an environment variable holding an API key, if the server wants one.
        image_keys: ``camera=server_key`` pairs joined by ``+``.
        state_key: Server key of the state vector (empty string: send no state).
        state_layout: Proprio names concatenated into the state, joined by ``+``.
        prompt_key: Server key of the instruction.
        image_size: Resize-with-pad target side (0 = send images as they are).
        send_meta: Send ``cosmos3/...`` extension keys (seed, step, spec, proprio by name).
        max_concurrency: WebSocket connections used in parallel for one ``act`` batch.
        action_kind: Emitted action convention; set it (and the other ``action_*`` args) to
            declare the spec, else the server metadata's ``action_spec`` is used.
        action_dim: Action dimension.
        action_names: Per-dimension names joined by ``+``.
        action_units: Per-dimension units joined by ``+``.
        action_low: Lower bound of the normalised range.
        action_high: Upper bound of the normalised range.
        gripper: Gripper sign convention.
        rotation: Rotation representation.
        control_hz: Control frequency.
        chunk_size: Chunk length the policy emits.
        image_orientation: Camera orientation the policy expects.
        revision: Free-form revision recorded in the manifest.
    """

    transport_params = ("max_concurrency", "timeout", "max_retries", "backoff", "max_backoff")
    """Args that change how requests travel, never what comes back (kept out of cache keys)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        api_key_env: str | None = None,
        image_keys: str | None = None,
        state_key: str = "observation/state",
        state_layout: str | None = None,
        prompt_key: str = "prompt",
        image_size: int = 0,
        send_meta: bool = True,
        max_concurrency: int = 4,
        action_kind: str | None = None,
        action_dim: int | None = None,
        action_names: str | None = None,
        action_units: str | None = None,
        action_low: float = -1.0,
        action_high: float = 1.0,
        gripper: str = "none",
        rotation: str = "none",
        control_hz: float = 20.0,
        chunk_size: int = 1,
        image_orientation: str = "upright",
        revision: str = "",
    ):
        import os

        self.host, self.port = str(host), int(port)
        self._api_key = None
        if api_key_env:
            if api_key_env not in os.environ:
                raise UserError(f"openpi: environment variable '{api_key_env}' is not set")
            self._api_key = os.environ[api_key_env]
        keys: dict[str, str] = {}
        for pair in _split(image_keys):
            cam, sep, key = pair.partition("=")
            if not sep or not cam or not key:
                raise ConfigError(f"openpi: bad image_keys item '{pair}', expected camera=key")
            keys[cam] = key
        self.layout = ObservationLayout(
            image_keys=keys,
            state_key=state_key,
            state_layout=tuple(_split(state_layout)),
            prompt_key=prompt_key,
            image_size=int(image_size),
            send_meta=bool(send_meta),
        )
        self.max_concurrency = max(1, int(max_concurrency))
        self._pool: list[Any] = []
        self._lock = threading.Lock()
        self.wire = WireCounter()
        # One connection up front: fails fast with a clear error and reads the metadata.
        first = self._connect()
        self.server_metadata: dict[str, Any] = dict(first.get_server_metadata() or {})
        self._pool.append(first)
        spec: ActionSpec | None = None
        if action_kind is not None:
            if action_dim is None:
                raise ConfigError("openpi: action_kind needs action_dim")
            spec = ActionSpec(
                kind=action_kind,
                dim=int(action_dim),
                names=tuple(_split(action_names)),
                units=tuple(_split(action_units)),
                low=float(action_low),
                high=float(action_high),
                gripper=gripper,
                rotation=rotation,
                control_hz=float(control_hz),
                chunk_size=int(chunk_size),
                image_orientation=image_orientation,
            )
        elif isinstance(self.server_metadata.get("action_spec"), dict):
            spec = spec_from_json(self.server_metadata["action_spec"])
        params = {
            "host": redact_text(host),
            "port": port,
            "api_key_env": api_key_env,
            "image_keys": image_keys,
            "state_key": state_key,
            "state_layout": state_layout,
            "prompt_key": prompt_key,
            "image_size": image_size,
            "send_meta": send_meta,
            "max_concurrency": max_concurrency,
        }
        name = str(self.server_metadata.get("model", ""))
        self.info = ModelInfo(
            name="openpi", revision=revision or name, params=params, action_spec=spec
        )

    def _connect(self) -> Any:
        from openpi_client.websocket_client_policy import WebsocketClientPolicy

        try:
            client = WebsocketClientPolicy(self.host, self.port, api_key=self._api_key)
        except OSError as exc:
            raise UserError(
                redact_text(f"openpi: cannot connect to ws://{self.host}:{self.port} ({exc})")
            ) from exc
        client._ws = self.wire.socket(client._ws)  # infer() sends and receives through _ws
        return client

    def _checkout(self) -> Any:
        with self._lock:
            if self._pool:
                return self._pool.pop()
        return self._connect()

    def _checkin(self, client: Any) -> None:
        with self._lock:
            self._pool.append(client)

    def observation_dict(self, r: ActRequest) -> dict[str, Any]:
        """The OpenPI observation dict for one request (public for tests and debugging)."""
        return observation_dict(r, self.layout)

    def _one(self, r: ActRequest) -> ActionChunk:
        client = self._checkout()
        try:
            reply = client.infer(self.observation_dict(r))
        except Exception:
            # A broken connection is not returned to the pool; the next call reconnects.
            try:
                client._ws.close()
            except Exception:
                pass
            raise
        self._checkin(client)
        return chunk_from_reply(reply, self.info.action_spec)

    def act(self, requests: list[ActRequest]) -> list[ActionChunk | Exception]:
        """One ``infer`` per running episode, over up to ``max_concurrency`` connections."""
        return map_concurrent(self._one, requests, self.max_concurrency)

    def close(self) -> None:
        """Close every WebSocket connection."""
        with self._lock:
            pool, self._pool = self._pool, []
        for client in pool:
            try:
                client._ws.close()
            except Exception:
                pass
