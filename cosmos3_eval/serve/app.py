"""``cosmos3-eval serve``: expose any registered model over the protocols real models use.

* ``openai``: ``POST /v1/chat/completions`` and ``GET /v1/models`` (the wire format of
  :mod:`cosmos3_eval.models.openai_api`: image/video parts, ``"A. ..."`` options, ``seed``);
* ``vllm-omni``: ``POST /v1/images/generations`` and ``POST /v1/videos/sync`` (see
  :mod:`cosmos3_eval.models.vllm_omni`; videos are returned as lossless MP4);
* ``openpi``: a WebSocket at ``/`` speaking msgpack-numpy; the first message is the server
  metadata, then one reply ``{"actions": (T, dim)}`` per observation, as OpenPI servers do.

One router module per protocol (:mod:`.openai`, :mod:`.vllm_omni`, :mod:`.openpi`) over the
codecs of :mod:`cosmos3_eval.protocols`. The server is FastAPI on uvicorn. This is also how a
model on a GPU box serves CPU simulation workers. Model calls are serialised by a lock (one
batch of one at a time): models need not be thread-safe. Privileged models (the oracle) cannot
be served: their answers come from ground truth the network request does not carry.
"""

from typing import Any

from cosmos3_eval.api.model import Capability, close_model
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.errors import ConfigError, UserError, unknown
from cosmos3_eval.serve import openai, openpi, vllm_omni
from cosmos3_eval.serve.served import Served

PROTOCOLS = {
    "openai": Capability.ANSWER,
    "vllm-omni": None,  # generate_images and/or generate_videos
    "openpi": Capability.ACT,
}

_ROUTERS = {
    "openai": openai.add_routes,
    "vllm-omni": vllm_omni.add_routes,
    "openpi": openpi.add_routes,
}


def build_app(model: Any, protocol: str) -> Any:
    """The FastAPI app serving ``model`` over ``protocol``.

    Raises:
        UserError: Unknown protocol, a privileged model, or a model without the capability.
    """
    from fastapi import FastAPI

    if protocol not in PROTOCOLS:
        raise unknown("serve protocol", protocol, PROTOCOLS)
    served = Served(model)
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
        served.caps & {Capability.GENERATE_IMAGES, Capability.GENERATE_VIDEOS}
    ):
        raise UserError(f"model '{served.info.name}' generates neither images nor videos")
    app = FastAPI(title=f"cosmos3-eval serve {served.info.name} ({protocol})")
    _ROUTERS[protocol](app, served)
    return app


def serve(model: Any, protocol: str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``model`` over ``protocol`` until interrupted (blocking).

    Args:
        model: Any model object (``info`` plus capability methods).
        protocol: ``openai``, ``vllm-omni`` or ``openpi``.
        host: Interface to bind (keep ``127.0.0.1`` unless the network is trusted).
        port: TCP port.
    """
    import uvicorn

    app = build_app(model, protocol)
    config = uvicorn.Config(
        app,
        host=host,
        port=int(port),
        log_level="warning",
        ws_max_size=1 << 28,  # observations with several cameras exceed the 16 MiB default
        ws_ping_interval=None,  # a long model call must not drop the policy connection
    )
    uvicorn.Server(config).run()


def serve_main(
    model_name: str, model_args: dict[str, Any], protocol: str, host: str, port: int
) -> None:
    """Entry point of ``cosmos3-eval serve``: build the registered model and serve it.

    Raises:
        UserError: Unknown model or protocol, bad model args, unservable model.
    """
    if protocol not in PROTOCOLS:
        raise unknown("serve protocol", protocol, PROTOCOLS)
    if not 0 < int(port) < 65536:
        raise ConfigError(f"bad port {port}")
    model = create_model(model_name, model_args)
    try:
        build_app(model, protocol)  # validate before binding the port
        print(f"serving {model_name} over {protocol} on http://{host}:{port}", flush=True)
        serve(model, protocol, host, port)
    finally:
        close_model(model)
