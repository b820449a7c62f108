"""``cosmos3-eval serve``: expose any registered model over the protocols real models use.

* ``openai``: ``POST /v1/chat/completions`` and ``GET /v1/models`` (the wire format of
  :mod:`cosmos3_eval.models.openai_api`: image/video parts, ``"A. ..."`` options, ``seed``);
* ``vllm-omni``: ``POST /v1/images/generations`` and ``POST /v1/videos/sync`` (see
  :mod:`cosmos3_eval.models.vllm_omni`; videos are returned as lossless MP4);
* ``openpi``: a WebSocket at ``/`` speaking msgpack-numpy; the first message is the server
  metadata, then one reply ``{"actions": (T, dim)}`` per observation, as OpenPI servers do;
* ``cosmos-policy``: NVIDIA's LIBERO policy server (``/info``, ``/predict``,
  ``/predict_batch``).

One router module per protocol (:mod:`.openai`, :mod:`.vllm_omni`, :mod:`.openpi`,
:mod:`.cosmos_policy`) over the codecs of :mod:`cosmos3_eval.protocols`. Every request is
validated into a typed record and bounded by :class:`~.guard.ServeLimits`; a malformed one is
a 4xx with a JSON error, never a traceback. ``api_key`` requires ``Authorization: Bearer``
(vLLM's ``--api-key``); ``GET /health`` stays open.

The server is FastAPI on uvicorn. This is also how a model on a GPU box serves CPU simulation
workers. Model calls are serialised by a lock (one batch of one at a time): models need not
be thread-safe. Privileged models (the oracle) cannot
be served: their answers come from ground truth the network request does not carry.
"""

import os
from typing import Any

from cosmos3_eval.api.model import Capability, close_model
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.errors import ConfigError, UserError, unknown
from cosmos3_eval.serve import cosmos_policy, openai, openpi, vllm_omni
from cosmos3_eval.serve.guard import Guard, ServeLimits
from cosmos3_eval.serve.served import Served

PROTOCOLS = {
    "openai": Capability.ANSWER,
    "vllm-omni": None,  # generate_images and/or generate_videos
    "openpi": Capability.ACT,
    "cosmos-policy": Capability.ACT,
}

_ROUTERS = {
    "openai": openai.add_routes,
    "vllm-omni": vllm_omni.add_routes,
    "openpi": openpi.add_routes,
    "cosmos-policy": cosmos_policy.add_routes,
}


def build_app(
    model: Any, protocol: str, limits: ServeLimits | None = None, api_key: str | None = None
) -> Any:
    """The FastAPI app serving ``model`` over ``protocol``.

    Args:
        model: Any model object (``info`` plus capability methods).
        protocol: A key of :data:`PROTOCOLS`.
        limits: Request limits (default :class:`ServeLimits`).
        api_key: Token every request but ``GET /health`` must carry (``None``: no auth).

    Raises:
        UserError: Unknown protocol, a privileged model, or a model without the capability.
    """
    from fastapi import FastAPI

    if protocol not in PROTOCOLS:
        raise unknown("serve protocol", protocol, PROTOCOLS)
    limits = limits or ServeLimits()
    served = Served(model, limits)
    if served.info.privileged:
        raise UserError(
            f"model '{served.info.name}' is privileged (reads ground truth) and cannot be served"
        )
    need = PROTOCOLS[protocol]
    if need is not None and need not in served.caps:
        raise UserError(
            f"model '{served.info.name}' has no '{need.value}' for --protocol {protocol}"
        )
    if protocol == "vllm-omni" and not (
        served.caps & {c for c in Capability if c.value in VLLM_OMNI_CAPS}
    ):
        raise UserError(
            f"model '{served.info.name}' generates neither images nor videos nor video + actions"
        )
    # No /docs or /openapi.json: a public server exposes only its protocol.
    app = FastAPI(
        title=f"cosmos3-eval serve {served.info.name} ({protocol})",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    _ROUTERS[protocol](app, served)
    app.add_middleware(Guard, limits=limits, api_key=api_key)
    return app


VLLM_OMNI_CAPS = ("generate_images", "generate_videos", "act_with_video", "infer_actions")
"""Capabilities ``--protocol vllm-omni`` serves (a model needs at least one)."""


def serve(
    model: Any,
    protocol: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServeLimits | None = None,
    api_key: str | None = None,
) -> None:
    """Serve ``model`` over ``protocol`` until interrupted (blocking).

    Args:
        model: Any model object (``info`` plus capability methods).
        protocol: ``openai``, ``vllm-omni``, ``openpi`` or ``cosmos-policy``.
        host: Interface to bind (keep ``127.0.0.1`` unless the network is trusted).
        port: TCP port.
        limits: Request limits (default :class:`ServeLimits`).
        api_key: Required bearer token (``None``: no authentication).
    """
    import uvicorn

    limits = limits or ServeLimits()
    app = build_app(model, protocol, limits, api_key)
    config = uvicorn.Config(
        app,
        host=host,
        port=int(port),
        log_level="warning",
        ws_max_size=limits.max_body_bytes,  # one observation is one request body
        ws_ping_interval=None,  # a long model call must not drop the policy connection
    )
    uvicorn.Server(config).run()


def serve_main(
    model_name: str,
    model_args: dict[str, Any],
    protocol: str,
    host: str,
    port: int,
    limits: ServeLimits | None = None,
    api_key_env: str | None = None,
) -> None:
    """Entry point of ``cosmos3-eval serve``: build the registered model and serve it.

    Args:
        model_name: Registered model name.
        model_args: Its constructor arguments.
        protocol: A key of :data:`PROTOCOLS`.
        host: Interface to bind.
        port: TCP port.
        limits: Request limits (default :class:`ServeLimits`).
        api_key_env: Name of the environment variable holding the required bearer token
            (the key itself never appears on a command line).

    Raises:
        UserError: Unknown model or protocol, bad model args, unservable model, or
            ``api_key_env`` not set.
    """
    if protocol not in PROTOCOLS:
        raise unknown("serve protocol", protocol, PROTOCOLS)
    if not 0 < int(port) < 65536:
        raise ConfigError(f"bad port {port}")
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise UserError(f"serve: environment variable '{api_key_env}' is not set or empty")
    model = create_model(model_name, model_args)
    try:
        build_app(model, protocol, limits, api_key)  # validate before binding the port
        auth = "bearer token required" if api_key else "no authentication"
        print(f"serving {model_name} over {protocol} on http://{host}:{port} ({auth})", flush=True)
        serve(model, protocol, host, port, limits, api_key)
    finally:
        close_model(model)
