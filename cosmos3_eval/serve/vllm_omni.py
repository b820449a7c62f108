"""``serve --protocol vllm-omni``: ``POST /v1/images/generations`` and ``/v1/videos/sync``.

The wire format is :mod:`cosmos3_eval.protocols.vllm_omni`, the same one
:mod:`cosmos3_eval.models.vllm_omni` sends; videos are returned as lossless MP4. The video
encode stops (and its ffmpeg child exits) when the client disconnects.
"""

import asyncio
from typing import Any

from cosmos3_eval.api.model import Capability
from cosmos3_eval.protocols import vllm_omni as wire
from cosmos3_eval.serve.served import (
    Served,
    error_response,
    read_json,
    request_id,
    respond,
    until_disconnect,
)


def add_routes(app: Any, served: Served) -> None:
    """Add the generation routes for ``served`` to the FastAPI ``app``."""
    # FastAPI reads the handler annotations at definition time: no postponed annotations here.
    from fastapi import Request
    from fastapi.responses import Response

    limits = served.limits.media

    @app.post(wire.IMAGES_PATH)
    async def images(request: Request) -> Any:
        if Capability.GENERATE_IMAGES not in served.caps:
            return error_response(
                404, "this model does not generate images", "invalid_request_error"
            )

        async def handle() -> Any:
            body = await read_json(request)
            rid = request_id(request.headers)
            out = await served.run(
                "generate_images", lambda: wire.t2i_request_from_body(body, rid, limits)
            )
            return await asyncio.to_thread(wire.images_response, out.image)

        return await respond(request, handle)

    @app.post(wire.VIDEOS_PATH)
    async def videos(request: Request) -> Any:
        if Capability.GENERATE_VIDEOS not in served.caps:
            return error_response(
                404, "this model does not generate videos", "invalid_request_error"
            )

        async def handle() -> Any:
            ctype = request.headers.get("content-type", "")
            body = await request.body()
            fields, files = await asyncio.to_thread(wire.parse_multipart, ctype, body)
            rid = request_id(request.headers)
            req = None

            def build() -> Any:
                nonlocal req
                req = wire.i2v_request_from_form(fields, files, rid, limits)
                return req

            out = await served.run("generate_videos", build)
            mp4 = await until_disconnect(
                request, lambda cancel: wire.video_response(out.video, req.fps, cancel)
            )
            return Response(content=mp4, media_type="video/mp4")

        return await respond(request, handle)
