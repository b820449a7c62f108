"""``serve --protocol cosmos-policy``: NVIDIA's LIBERO policy-server routes for any act() model.

Routes (:mod:`cosmos3_eval.protocols.cosmos_policy`): ``GET /``, ``GET /info``,
``POST /predict``, ``POST /predict_batch``. The served model acts in LIBERO's own convention
(:data:`~cosmos3_eval.api.actions.LIBERO_OSC_7D`, sim-oriented frames); the router turns each
chunk into the Cosmos 10-D convention the server returns (de-normalised, as NVIDIA's server
does) and each request back into simulator frames. ``/info`` carries NVIDIA's keys plus the
full action contract (``action_normalization``, ``rotation``, ``gripper``, ``cameras``,
``image_size``) that :class:`~cosmos3_eval.models.cosmos_policy.CosmosPolicyModel` checks.

No ``from __future__ import annotations``: FastAPI must see the real ``Request`` type.
"""

import asyncio
from typing import Any

import numpy as np

from cosmos3_eval.api.actions import LIBERO_OSC_7D
from cosmos3_eval.api.actions_cosmos import COSMOS_LIBERO_10D, libero7d_to_cosmos_libero10d
from cosmos3_eval.api.model import check_outputs
from cosmos3_eval.api.types import ActRequest, Observation
from cosmos3_eval.protocols import cosmos_policy as wire
from cosmos3_eval.protocols import validate
from cosmos3_eval.serve.served import Served, read_json, respond


def server_info(model: Any, chunk_size: int) -> dict[str, Any]:
    """The ``/info`` document: NVIDIA's keys plus the action contract."""
    info = model.info
    return {
        "run_name": info.name,
        "checkpoint": info.revision,
        "fps": int(COSMOS_LIBERO_10D.control_hz),
        "action_chunk_size": int(chunk_size),
        "max_action_dim": COSMOS_LIBERO_10D.dim,
        "raw_action_dim": COSMOS_LIBERO_10D.dim,
        "action_stats_path": None,
        "action_normalization": "none",  # actions leave the server de-normalised
        "rotation": COSMOS_LIBERO_10D.rotation,
        "gripper": COSMOS_LIBERO_10D.gripper,
        "cameras": list(wire.CAMERAS),
        "image_size": wire.IMAGE_SIZE,
    }


def add_routes(app: Any, served: Served, chunk_size: int = wire.DEFAULT_CHUNK) -> None:
    """Add the Cosmos policy routes for ``served`` (an ``act`` model) to a FastAPI app.

    Bodies are validated into :class:`~cosmos3_eval.protocols.cosmos_policy.PredictItem` /
    ``PredictBatch``; errors keep NVIDIA's shape (``{"action": [], "error": ...}``) with a 4xx
    status (5xx only for a server fault, with no detail).

    Args:
        app: ``fastapi.FastAPI``.
        served: Wraps a model that acts in the LIBERO 7-D convention.
        chunk_size: The chunk size ``/info`` declares (a chunk is returned as the model
            made it).
    """
    from fastapi import Request
    from fastapi.responses import JSONResponse

    limits = served.limits.media

    def predict(items: list[Any]) -> list[list[list[float]]]:
        reqs = []
        for item in items:
            dec = wire.decode_item(item, limits)
            reqs.append(
                ActRequest(
                    episode_id=dec.episode_id,
                    observation=Observation(images=dec.images),
                    instruction=dec.instruction,
                    step=dec.step,
                    seed=dec.seed,
                    action_spec=LIBERO_OSC_7D,
                )
            )
        with served.lock:
            chunks = check_outputs(served.model.act(reqs), len(reqs))
        out = []
        for c in chunks:
            if isinstance(c, Exception):
                raise c
            a = np.asarray(getattr(c, "actions", c), np.float64)
            out.append(libero7d_to_cosmos_libero10d(a).tolist())
        return out

    def nvidia_error(key: str) -> Any:
        def shape(status: int, message: str, kind: str) -> Any:
            return JSONResponse({key: [], "error": message, "type": kind}, status)

        return shape

    @app.get("/")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/info")
    def info() -> dict[str, Any]:
        return server_info(served.model, chunk_size)

    @app.post("/predict")
    async def predict_one(request: Request) -> Any:
        async def handle() -> Any:
            body = await read_json(request)
            actions = await asyncio.to_thread(predict, [body])
            return {"action": actions[0], "video": []}

        return await respond(request, handle, nvidia_error("action"))

    @app.post("/predict_batch")
    async def predict_batch(request: Request) -> Any:
        async def handle() -> Any:
            batch = validate(wire.PredictBatch, await read_json(request), "predict_batch body")
            return {"actions": await asyncio.to_thread(predict, list(batch.items))}

        return await respond(request, handle, nvidia_error("actions"))
