"""``cosmos3-eval serve``: expose any registered model over the protocols real models use.

* ``openai``: ``POST /v1/chat/completions`` and ``GET /v1/models`` (the wire format of
  :mod:`cosmos3_eval.models.openai_api`: image/video parts, ``"A. ..."`` options, ``seed``);
* ``vllm-omni``: ``POST /v1/images/generations`` and ``POST /v1/videos/sync`` (see
  :mod:`cosmos3_eval.models.vllm_omni`; videos are returned as lossless MP4);
* ``openpi``: a WebSocket at ``/`` speaking msgpack-numpy; the first message is the server
  metadata, then one reply ``{"actions": (T, dim)}`` per observation, as OpenPI servers do.

The server is FastAPI on uvicorn. This is also how a model on a GPU box serves CPU simulation
workers. Model calls are serialised by a lock (one batch of one at a time): models need not be
thread-safe. Privileged models (the oracle) cannot be served: their answers come from ground
truth the network request does not carry.
"""

import asyncio
import email.parser
import email.policy
import json
import threading
import time
import traceback
import uuid
from typing import Any

import numpy as np

from cosmos3_eval.api.model import Capability, ModelInfo, capabilities, check_outputs
from cosmos3_eval.errors import ConfigError, ModelOutputError, UserError

PROTOCOLS = {
    "openai": Capability.ANSWER,
    "vllm-omni": None,  # generate_images and/or generate_videos
    "openpi": Capability.ACT,
}


class BadRequest(Exception):
    """The client sent something this server cannot turn into a model request (HTTP 400)."""


def _first_output(out: list[Any]) -> Any:
    (first,) = check_outputs(out, 1)
    if isinstance(first, Exception):
        raise first
    return first


class _Served:
    """The model plus the lock that serialises calls into it."""

    def __init__(self, model: Any):
        self.model = model
        self.info: ModelInfo = model.info
        self.caps = capabilities(model)
        self.lock = threading.Lock()

    def call(self, method: str, request: Any) -> Any:
        with self.lock:
            return _first_output(getattr(self.model, method)([request]))


# --------------------------------------------------------------------------- openai protocol


def qa_request_from_chat(body: dict[str, Any], request_id: str) -> Any:
    """Rebuild a :class:`QARequest` from an OpenAI chat completions body."""
    from cosmos3_eval.api.media import decode_image_uri, decode_video, parse_data_uri
    from cosmos3_eval.api.types import QARequest
    from cosmos3_eval.models.openai_api import parse_question

    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list")
    user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if not user:
        raise BadRequest("no user message")
    content = user[-1].get("content")
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise BadRequest("message content must be a string or a list of parts")
    images: list[np.ndarray] = []
    video = None
    fps = None
    texts: list[str] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind == "image_url":
            images.append(decode_image_uri(part["image_url"]["url"], "image_url"))
        elif kind == "video":
            frames = part.get("video")
            if not isinstance(frames, list) or not frames:
                raise BadRequest("'video' part must list frame data URIs")
            video = np.stack([decode_image_uri(f, "video frame") for f in frames])
            fps = part.get("fps")
        elif kind == "video_url":
            _, data = parse_data_uri(part["video_url"]["url"], "video_url")
            video = decode_video(data, "video_url")
        else:
            raise BadRequest(f"unsupported content part type {kind!r}")
    question, choices = parse_question("\n".join(texts))
    seed = body.get("seed")
    return QARequest(
        id=request_id,
        question=question,
        images=tuple(images),
        video=video,
        choices=choices,
        seed=int(seed) if seed is not None else 0,
        fps=float(fps) if fps is not None else None,
    )


def _chat_response(text: str, model_name: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:24],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


# ------------------------------------------------------------------------ vllm-omni protocol


def t2i_request_from_body(body: dict[str, Any], request_id: str) -> Any:
    """Rebuild a :class:`T2IRequest` from an images/generations body."""
    from cosmos3_eval.api.types import T2IRequest

    if not isinstance(body.get("prompt"), str):
        raise BadRequest("'prompt' must be a string")
    if body.get("n", 1) != 1:
        raise BadRequest("only n=1 is supported")
    size = str(body.get("size", "256x256"))
    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError as exc:
        raise BadRequest(f"bad size {size!r}, expected WxH") from exc
    return T2IRequest(
        id=request_id,
        prompt=body["prompt"],
        width=width,
        height=height,
        seed=int(body.get("seed") or 0),
        style=str(body.get("style", "")),
    )


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a ``multipart/form-data`` body into text fields and file contents.

    Uses the standard library's MIME parser (no extra dependency).
    """
    if not content_type.startswith("multipart/form-data"):
        raise BadRequest("expected multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not msg.is_multipart():
        raise BadRequest("malformed multipart body")
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[str(name)] = payload
        else:
            fields[str(name)] = payload.decode("utf-8")
    return fields, files


def i2v_request_from_form(fields: dict[str, str], files: dict[str, bytes], request_id: str) -> Any:
    """Rebuild an :class:`I2VRequest` from a videos/sync form."""
    from cosmos3_eval.api.media import decode_image, decode_video
    from cosmos3_eval.api.types import I2VRequest

    try:
        if "conditioning_video" in files:
            frames = decode_video(files["conditioning_video"], "conditioning_video")
        elif "input_reference" in files:
            frames = decode_image(files["input_reference"], "input_reference")[None]
        else:
            raise BadRequest("need an 'input_reference' image")
        actions = None
        if "actions" in fields:
            actions = np.asarray(json.loads(fields["actions"]), dtype=np.float32)
        return I2VRequest(
            id=request_id,
            prompt=fields.get("prompt", ""),
            frames=frames,
            num_frames=int(fields.get("num_frames", 16)),
            fps=float(fields.get("fps", 8.0)),
            actions=actions,
            action_format=fields.get("action_format"),
            seed=int(fields.get("seed", 0)),
        )
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"bad videos/sync form: {exc}") from exc


# --------------------------------------------------------------------------- openpi protocol


def act_request_from_obs(obs: dict[str, Any]) -> Any:
    """Rebuild an :class:`ActRequest` from an OpenPI observation dict.

    Exact when the client sent the ``cosmos3/...`` keys; otherwise every ``uint8 (H, W, 3)``
    value is a camera (named by its key) and the state vector is the proprio ``"state"``.
    """
    from cosmos3_eval.api.types import ActRequest, Observation
    from cosmos3_eval.models.openpi import META_PREFIX, spec_from_json

    meta = {k[len(META_PREFIX) :]: v for k, v in obs.items() if k.startswith(META_PREFIX)}
    cameras = meta.get("cameras") or {}
    images = {}
    proprio: dict[str, np.ndarray] = {}
    prompt = ""
    for key, value in obs.items():
        if key.startswith(META_PREFIX):
            continue
        if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 3:
            images[cameras.get(key, key)] = value
        elif isinstance(value, str):
            prompt = value
        elif isinstance(value, np.ndarray) and not meta.get("proprio"):
            proprio[key.rsplit("/", 1)[-1]] = value.astype(np.float32)
    if meta.get("proprio"):
        proprio = {k: np.asarray(v, np.float32) for k, v in meta["proprio"].items()}
    spec = meta.get("action_spec")
    return ActRequest(
        episode_id=str(meta.get("episode_id", "")),
        observation=Observation(images=images, proprio=proprio),
        instruction=prompt,
        step=int(meta.get("step", 0)),
        seed=int(meta.get("seed", 0)),
        action_spec=spec_from_json(json.loads(spec)) if spec else None,
    )


# ------------------------------------------------------------------------------------ app


def build_app(model: Any, protocol: str) -> Any:
    """The FastAPI app serving ``model`` over ``protocol``.

    Raises:
        UserError: Unknown protocol, a privileged model, or a model without the capability.
    """
    from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
    from fastapi.responses import JSONResponse, Response

    if protocol not in PROTOCOLS:
        from cosmos3_eval.errors import unknown

        raise unknown("serve protocol", protocol, PROTOCOLS)
    served = _Served(model)
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
    name = served.info.revision or served.info.name
    app = FastAPI(title=f"cosmos3-eval serve {served.info.name} ({protocol})")

    def error(status: int, message: str, kind: str) -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)

    async def run(method: str, build: Any) -> Any:
        # Decoding and the model call run in a worker thread: the event loop stays free.
        def work() -> Any:
            try:
                req = build()
            except (ModelOutputError, KeyError, TypeError, ValueError) as exc:
                # Undecodable media or a malformed body is the client's fault: HTTP 400.
                raise BadRequest(f"{type(exc).__name__}: {exc}") from exc
            return served.call(method, req)

        return await asyncio.to_thread(work)

    def rid(request: Request) -> str:
        return request.headers.get("x-request-id") or uuid.uuid4().hex

    if protocol == "openai":

        @app.get("/v1/models")
        def list_models() -> dict[str, Any]:
            return {
                "object": "list",
                "data": [{"id": name, "object": "model", "created": 0, "owned_by": "cosmos3-eval"}],
            }

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Any:
            try:
                body = await request.json()
                out = await run("answer", lambda: qa_request_from_chat(body, rid(request)))
            except (BadRequest, ValueError, KeyError, TypeError) as exc:
                return error(400, str(exc), "invalid_request_error")
            except Exception as exc:
                return error(500, f"{type(exc).__name__}: {exc}", "server_error")
            return _chat_response(out.text, body.get("model", name))

    elif protocol == "vllm-omni":
        from cosmos3_eval.api.media import b64encode, encode_image, encode_video

        @app.post("/v1/images/generations")
        async def images(request: Request) -> Any:
            if Capability.GENERATE_IMAGES not in served.caps:
                return error(404, "this model does not generate images", "invalid_request_error")
            try:
                body = await request.json()
                out = await run(
                    "generate_images", lambda: t2i_request_from_body(body, rid(request))
                )
                png = await asyncio.to_thread(encode_image, out.image, "png")
            except (BadRequest, ValueError, KeyError, TypeError) as exc:
                return error(400, str(exc), "invalid_request_error")
            except Exception as exc:
                return error(500, f"{type(exc).__name__}: {exc}", "server_error")
            return {"created": int(time.time()), "data": [{"b64_json": b64encode(png)}]}

        @app.post("/v1/videos/sync")
        async def videos(request: Request) -> Any:
            if Capability.GENERATE_VIDEOS not in served.caps:
                return error(404, "this model does not generate videos", "invalid_request_error")
            try:
                ctype = request.headers.get("content-type", "")
                fields, files = parse_multipart(ctype, await request.body())
                out = await run(
                    "generate_videos", lambda: i2v_request_from_form(fields, files, rid(request))
                )
                fps = float(fields.get("fps", 8.0))
                mp4 = await asyncio.to_thread(encode_video, out.video, "mp4", fps, True)
            except (BadRequest, ValueError, KeyError, TypeError) as exc:
                return error(400, str(exc), "invalid_request_error")
            except Exception as exc:
                return error(500, f"{type(exc).__name__}: {exc}", "server_error")
            return Response(content=mp4, media_type="video/mp4")

    else:
        from cosmos3_eval.api.media import pack_msgpack, unpack_msgpack
        from cosmos3_eval.models.openpi import spec_to_json

        spec = served.info.action_spec
        metadata = {
            "model": name,
            "server": "cosmos3-eval",
            "action_spec": spec_to_json(spec) if spec is not None else None,
        }

        @app.websocket("/")
        async def policy(ws: WebSocket) -> None:
            await ws.accept()
            await ws.send_bytes(pack_msgpack(metadata))
            try:
                while True:
                    data = await ws.receive_bytes()
                    start = time.monotonic()
                    try:
                        out = await run(
                            "act", lambda d=data: act_request_from_obs(unpack_msgpack(d))
                        )
                        reply = {
                            "actions": np.asarray(out.actions, dtype=np.float32),
                            "server_timing": {"infer_ms": 1000 * (time.monotonic() - start)},
                        }
                        await ws.send_bytes(pack_msgpack(reply))
                    except Exception:
                        # OpenPI convention: an error is sent as text, then the socket closes.
                        await ws.send_text(traceback.format_exc())
                        await ws.close(code=1011)
                        return
            except WebSocketDisconnect:
                return

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
    from cosmos3_eval.api.model import close_model
    from cosmos3_eval.engine.factory import create_model

    if protocol not in PROTOCOLS:
        from cosmos3_eval.errors import unknown

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


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host`` (for tests and local pipelines)."""
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A ``serve`` running in a child process; use as a context manager.

    Attributes:
        host: Bound host.
        port: Bound port.
        url: ``http://host:port``.
    """

    def __init__(self, proc: Any, host: str, port: int):
        self.proc = proc
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"

    def close(self) -> None:
        """Terminate the server process (kill it if it does not exit within 10 s)."""
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spawn_server(
    model_name: str,
    model_args: dict[str, Any] | None,
    protocol: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    startup_timeout: float = 60.0,
) -> ServerProcess:
    """Start :func:`serve_main` in a child process and wait until it accepts connections.

    Raises:
        RuntimeError: The server exited or did not come up in time (its stderr is included).
    """
    import socket
    import subprocess
    import sys
    import tempfile

    port = port or free_port(host)
    code = (
        "import json, sys; from cosmos3_eval.serve.app import serve_main; "
        "serve_main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], "
        "int(sys.argv[5]))"
    )
    log = tempfile.TemporaryFile()
    args = [sys.executable, "-c", code, model_name, json.dumps(model_args or {}), protocol]
    proc = subprocess.Popen([*args, host, str(port)], stdout=log, stderr=log)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"serve exited ({proc.returncode}): {log.read().decode()[-2000:]}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return ServerProcess(proc, host, port)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"serve did not listen on {host}:{port} within {startup_timeout} s")
