"""``serve --protocol vllm-omni``: image, video and video + action generation routes.

``POST /v1/images/generations``, ``/v1/videos/sync`` and the async policy-mode job
``POST /v1/videos`` (:mod:`cosmos3_eval.protocols.vllm_omni_policy`).

The wire format is :mod:`cosmos3_eval.protocols.vllm_omni`, the same one
:mod:`cosmos3_eval.models.vllm_omni` sends; videos are returned as lossless MP4. The video
encode stops (and its ffmpeg child exits) when the client disconnects.
"""

import asyncio
import time
import uuid
from collections import OrderedDict
from typing import Any

from cosmos3_eval.api.model import Capability
from cosmos3_eval.protocols import vllm_omni as wire
from cosmos3_eval.protocols import vllm_omni_policy as policy_wire
from cosmos3_eval.serve.served import (
    Served,
    error_response,
    public_message,
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

    add_job_routes(app, served)


MAX_JOBS = 256
"""Jobs kept for polling; the oldest finished ones are forgotten first."""


def add_job_routes(app: Any, served: Served) -> None:
    """``POST /v1/videos`` (policy / inverse mode), ``GET /v1/videos/{id}[/content]``."""
    from fastapi import Request
    from fastapi.responses import JSONResponse, Response

    limits = served.limits.media
    jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def forget_old() -> None:
        done = [k for k, j in jobs.items() if j["status"] in ("completed", "failed")]
        for k in done[: max(0, len(jobs) - MAX_JOBS)]:
            del jobs[k]

    async def work(job: dict[str, Any], req: Any) -> None:
        method = "infer_actions" if job["inverse"] else "act_with_video"
        job["status"] = "in_progress"
        try:
            out = await served.run(method, lambda: req)
            if not job["inverse"]:
                job["content"] = await asyncio.to_thread(
                    wire.video_response, out.video, req.fps, None
                )
            job["actions"], job["status"] = out.actions, "completed"
        except Exception as exc:  # noqa: BLE001 - the job records the fault for the client
            job["error"], job["status"] = public_message(exc), "failed"

    def obj(job_id: str) -> dict[str, Any]:
        j = jobs[job_id]
        return policy_wire.job_object(
            job_id, j["status"], j["created"], j.get("actions"), j.get("error")
        )

    @app.post(policy_wire.JOBS_PATH)
    async def create(request: Request) -> Any:
        async def handle() -> Any:
            ctype = request.headers.get("content-type", "")
            body = await request.body()
            fields, files = await asyncio.to_thread(wire.parse_multipart, ctype, body)
            rid = request_id(request.headers)
            req = await asyncio.to_thread(
                policy_wire.request_from_job_form, fields, files, rid, limits
            )
            inverse = not hasattr(req, "chunk_size")
            need = Capability.INFER_ACTIONS if inverse else Capability.ACT_WITH_VIDEO
            if need not in served.caps:
                return error_response(
                    404, f"this model does not {need.value}", "invalid_request_error"
                )
            job_id = "video_" + uuid.uuid4().hex
            jobs[job_id] = {"status": "queued", "created": time.time(), "inverse": inverse}
            forget_old()
            jobs[job_id]["task"] = asyncio.ensure_future(work(jobs[job_id], req))
            return JSONResponse(obj(job_id))

        return await respond(request, handle)

    @app.get(policy_wire.JOBS_PATH + "/{job_id}")
    async def status(job_id: str) -> Any:
        if job_id not in jobs:
            return error_response(404, "no such job", "invalid_request_error")
        return JSONResponse(obj(job_id))

    @app.get(policy_wire.JOBS_PATH + "/{job_id}/content")
    async def content(job_id: str) -> Any:
        job = jobs.get(job_id)
        if job is None or job["status"] != "completed" or "content" not in job:
            return error_response(404, "no video for this job", "invalid_request_error")
        return Response(content=job["content"], media_type="video/mp4")
