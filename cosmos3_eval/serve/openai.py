"""``serve --protocol openai``: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The wire format is :mod:`cosmos3_eval.protocols.openai` (image/video parts, ``"A. ..."``
options, ``seed``), the same one :mod:`cosmos3_eval.models.openai_api` sends.
"""

from typing import Any

from cosmos3_eval.protocols import openai as wire
from cosmos3_eval.serve.served import CLIENT_ERRORS, Served, error_response, request_id


def add_routes(app: Any, served: Served) -> None:
    """Add the chat completions routes for ``served`` to the FastAPI ``app``."""
    # FastAPI reads the handler annotations at definition time: no postponed annotations here.
    from fastapi import Request

    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        return wire.models_response(served.name)

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        try:
            body = await request.json()
            rid = request_id(request.headers)
            out = await served.run("answer", lambda: wire.qa_request_from_chat(body, rid))
        except CLIENT_ERRORS as exc:
            return error_response(400, str(exc), "invalid_request_error")
        except Exception as exc:
            return error_response(500, f"{type(exc).__name__}: {exc}", "server_error")
        return wire.chat_response(out.text, body.get("model", served.name))
