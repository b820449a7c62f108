"""``serve --protocol openai``: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The wire format is :mod:`cosmos3_eval.protocols.openai` (image/video parts, ``"A. ..."``
options, ``seed``), the same one :mod:`cosmos3_eval.models.openai_api` sends. The body is
validated into :class:`~cosmos3_eval.protocols.openai.ChatRequest`.
"""

from typing import Any

from cosmos3_eval.protocols import openai as wire
from cosmos3_eval.serve.served import Served, read_json, request_id, respond


def add_routes(app: Any, served: Served) -> None:
    """Add the chat completions routes for ``served`` to the FastAPI ``app``."""
    # FastAPI reads the handler annotations at definition time: no postponed annotations here.
    from fastapi import Request

    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        return wire.models_response(served.name)

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        async def handle() -> Any:
            body = await read_json(request)
            rid = request_id(request.headers)
            limits = served.limits.media
            out = await served.run("answer", lambda: wire.qa_request_from_chat(body, rid, limits))
            model = body.get("model") if isinstance(body.get("model"), str) else None
            return wire.chat_response(out.text, model or served.name)

        return await respond(request, handle)
