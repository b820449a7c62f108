"""A real HTTP server on 127.0.0.1 that injects faults, for the network adapters' tests.

A raw ASGI app on uvicorn in a background thread. The path selects the case, e.g.
``/500/v1/chat/completions``; each case fails the first ``n`` attempts of every request id
(header ``X-Fault-Key`` or a body hash), then answers correctly.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time

import numpy as np
import uvicorn

from cosmos3_eval.api.media import b64encode, encode_image, encode_video
from tests.helpers.servers import free_port

CASES = ("ok", "500", "429", "drop", "slow", "badjson", "badb64", "badsize", "badframes", "4xx")


class FaultServer:
    def __init__(self, fail_times: int = 1, retry_after: float = 0.3, slow_s: float = 2.0):
        self.fail_times = fail_times
        self.retry_after = retry_after
        self.slow_s = slow_s
        self.attempts: dict[str, list[float]] = {}
        self.headers_seen: list[dict[str, str]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="critical", interface="asgi3"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fault server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    async def app(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.headers_seen.append(headers)
        case, _, endpoint = scope["path"].lstrip("/").partition("/")
        key = case + ":" + (headers.get("x-request-id") or hashlib.sha256(body).hexdigest())
        tries = self.attempts.setdefault(key, [])
        tries.append(time.monotonic())
        failing = len(tries) <= self.fail_times

        async def reply(status: int, content: bytes, ctype: str, extra=()) -> None:
            hdrs = [
                (b"content-type", ctype.encode()),
                (b"content-length", str(len(content)).encode()),
            ]
            await send(
                {"type": "http.response.start", "status": status, "headers": hdrs + list(extra)}
            )
            await send({"type": "http.response.body", "body": content})

        if failing and case == "500":
            return await reply(500, b'{"error": {"message": "boom"}}', "application/json")
        if failing and case == "429":
            extra = [(b"retry-after", str(self.retry_after).encode())]
            return await reply(
                429, b'{"error": {"message": "slow down"}}', "application/json", extra
            )
        if failing and case == "drop":
            # Promise a body, then break the connection: the client sees a dropped connection.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"1000")],
                }
            )
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise ConnectionResetError("dropped on purpose")
        if failing and case == "slow":
            await asyncio.sleep(self.slow_s)
        if case == "4xx":
            return await reply(400, b'{"error": {"message": "bad request"}}', "application/json")
        if case == "badjson":
            return await reply(200, b'{"choices": [ {"mess', "application/json")
        if endpoint == "v1/chat/completions":
            out = {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "B"},
                    }
                ],
            }
            return await reply(200, json.dumps(out).encode(), "application/json")
        if endpoint == "v1/images/generations":
            req = json.loads(body)
            w, h = (int(v) for v in req["size"].split("x"))
            if case == "badsize":
                w += 1
            img = np.full((h, w, 3), 7, np.uint8)
            b64 = "!!not base64!!" if case == "badb64" else b64encode(encode_image(img))
            return await reply(
                200, json.dumps({"data": [{"b64_json": b64}]}).encode(), "application/json"
            )
        if endpoint == "v1/videos/sync":
            fields = dict(
                part.split(b"\r\n\r\n", 1)
                for part in body.split(b"--")[1:-1]
                if b"\r\n\r\n" in part
            )
            get = {k.split(b'name="')[1].split(b'"')[0].decode(): v[:-2] for k, v in fields.items()}
            t, w, h = int(get["num_frames"]), int(get["width"]), int(get["height"])
            if case == "badframes":
                t -= 1
            if case == "badb64":  # not a video at all
                return await reply(200, b"this is not an mp4", "video/mp4")
            vid = np.full((t, h, w, 3), 9, np.uint8)
            return await reply(200, encode_video(vid, fps=4), "video/mp4")
        return await reply(404, b"{}", "application/json")
