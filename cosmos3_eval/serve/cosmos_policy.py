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

import threading
from typing import Any

import numpy as np

from cosmos3_eval.api.actions import LIBERO_OSC_7D
from cosmos3_eval.api.actions_cosmos import COSMOS_LIBERO_10D, libero7d_to_cosmos_libero10d
from cosmos3_eval.api.types import ActRequest, Observation
from cosmos3_eval.protocols import cosmos_policy as wire


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


def add_routes(app: Any, model: Any, chunk_size: int = wire.DEFAULT_CHUNK) -> None:
    """Add the Cosmos policy routes for ``model`` (an ``act`` model) to a FastAPI app.

    Args:
        app: ``fastapi.FastAPI``.
        model: Acts in the LIBERO 7-D convention.
        chunk_size: The chunk size ``/info`` declares (a chunk is returned as the model
            made it).
    """
    from fastapi import Request
    from fastapi.responses import JSONResponse

    lock = threading.Lock()  # models need not be thread-safe

    def predict(items: list[dict[str, Any]]) -> list[list[list[float]]]:
        reqs = []
        for item in items:
            dec = wire.decode_item(item)
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
        with lock:
            chunks = model.act(reqs)
        out = []
        for c in chunks:
            a = np.asarray(getattr(c, "actions", c), np.float64)
            out.append(libero7d_to_cosmos_libero10d(a).tolist())
        return out

    @app.get("/")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/info")
    def info() -> dict[str, Any]:
        return server_info(model, chunk_size)

    @app.post("/predict")
    async def predict_one(request: Request) -> Any:
        try:
            body = await request.json()
            return {"action": predict([body])[0], "video": []}
        except Exception as exc:  # noqa: BLE001 - reported in the reply, as NVIDIA's server
            return JSONResponse({"action": [], "error": f"{type(exc).__name__}: {exc}"}, 400)

    @app.post("/predict_batch")
    async def predict_batch(request: Request) -> Any:
        try:
            body = await request.json()
            items = body.get("items")
            if not isinstance(items, list) or not items:
                raise ValueError("'items' must be a non-empty list of policy requests")
            return {"actions": predict(items)}
        except Exception as exc:  # noqa: BLE001
            return JSONResponse({"actions": [], "error": f"{type(exc).__name__}: {exc}"}, 400)
