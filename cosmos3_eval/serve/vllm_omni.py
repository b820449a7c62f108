"""``serve --protocol vllm-omni``: ``POST /v1/images/generations`` and ``/v1/videos/sync``.

The wire format is :mod:`cosmos3_eval.protocols.vllm_omni`, the same one
:mod:`cosmos3_eval.models.vllm_omni` sends; videos are returned as lossless MP4.
"""

import asyncio
from typing import Any

from cosmos3_eval.api.model import Capability
from cosmos3_eval.protocols import vllm_omni as wire
from cosmos3_eval.serve.served import CLIENT_ERRORS, Served, error_response, request_id


def add_routes(app: Any, served: Served) -> None:
    """Add the generation routes for ``served`` to the FastAPI ``app``."""
    # FastAPI reads the handler annotations at definition time: no postponed annotations here.
    from fastapi import Request
    from fastapi.responses import Response

    @app.post(wire.IMAGES_PATH)
    async def images(request: Request) -> Any:
        if Capability.GENERATE_IMAGES not in served.caps:
            return error_response(
                404, "this model does not generate images", "invalid_request_error"
            )
        try:
            body = await request.json()
            rid = request_id(request.headers)
            out = await served.run("generate_images", lambda: wire.t2i_request_from_body(body, rid))
            return await asyncio.to_thread(wire.images_response, out.image)
        except CLIENT_ERRORS as exc:
            return error_response(400, str(exc), "invalid_request_error")
        except Exception as exc:
            return error_response(500, f"{type(exc).__name__}: {exc}", "server_error")

    @app.post(wire.VIDEOS_PATH)
    async def videos(request: Request) -> Any:
        if Capability.GENERATE_VIDEOS not in served.caps:
            return error_response(
                404, "this model does not generate videos", "invalid_request_error"
            )
        try:
            ctype = request.headers.get("content-type", "")
            fields, files = wire.parse_multipart(ctype, await request.body())
            rid = request_id(request.headers)
            out = await served.run(
                "generate_videos", lambda: wire.i2v_request_from_form(fields, files, rid)
            )
            fps = float(fields.get("fps", 8.0))
            mp4 = await asyncio.to_thread(wire.video_response, out.video, fps)
        except CLIENT_ERRORS as exc:
            return error_response(400, str(exc), "invalid_request_error")
        except Exception as exc:
            return error_response(500, f"{type(exc).__name__}: {exc}", "server_error")
        return Response(content=mp4, media_type="video/mp4")
