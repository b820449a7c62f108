"""``serve`` as a public server: auth, body limit, media limits, close codes, cancellation."""

import json
import socket
import time

import httpx
import numpy as np
import psutil
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from cosmos3_eval.api.media import encode_image
from tests.helpers.servers import spawn_server
from tests.serve.test_fuzz import multipart, png_header_bomb

KEY = "s3cret-token"


@pytest.fixture(scope="module")
def omni_small():
    """vllm-omni with a 1 MiB body limit and 64-pixel sides, behind an API key."""
    limits = {"max_body_bytes": 2**20, "media": {"max_side": 64}}
    env = {"FUZZ_SERVE_KEY": KEY}
    with spawn_server("random", {}, "vllm-omni", limits=limits, api_key_env="FUZZ_SERVE_KEY",
                      env=env) as s:  # fmt: skip
        yield s


def test_api_key_required_but_health_open(omni_small):
    body = {"prompt": "p", "size": "8x8"}
    with httpx.Client(base_url=omni_small.url, timeout=30) as c:
        assert c.get("/health").status_code == 200
        r = c.post("/v1/images/generations", json=body)
        assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
        bad = {"authorization": "Bearer wrong"}
        assert c.post("/v1/images/generations", json=body, headers=bad).status_code == 401
        ok = {"authorization": f"Bearer {KEY}"}
        assert c.post("/v1/images/generations", json=body, headers=ok).status_code == 200


def test_body_and_size_limits(omni_small):
    auth = {"authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=omni_small.url, timeout=30, headers=auth) as c:
        big = b'{"prompt": "' + b"x" * (2**20 + 10) + b'"}'
        r = c.post("/v1/images/generations", content=big)
        assert r.status_code == 413

        def chunks():  # no Content-Length: the limit is counted as the body streams in
            for _ in range(40):
                yield b" " * 65536

        assert c.post("/v1/images/generations", content=chunks()).status_code == 413
        for size in ("0x0", "40000x40000", "65x8"):
            r = c.post("/v1/images/generations", json={"prompt": "p", "size": size})
            assert r.status_code == 400, size
        r = c.post("/v1/images/generations", content=b'{"prompt": "p", "seed": 1e400}')
        assert r.status_code == 400
        ctype = {"content-type": "multipart/form-data; boundary=fuzzb"}
        form = multipart({"num_frames": "3"}, {"input_reference": png_header_bomb()})
        r = c.post("/v1/videos/sync", content=form, headers=ctype)
        assert r.status_code == 400 and "exceeds" in r.json()["error"]["message"]
        form = multipart({"num_frames": "1000000"}, {"input_reference": encode_image(
            np.zeros((8, 8, 3), np.uint8))})  # fmt: skip
        assert c.post("/v1/videos/sync", content=form, headers=ctype).status_code == 400


def test_openpi_text_frame_and_auth_close_codes():
    env = {"FUZZ_SERVE_KEY": KEY}
    with spawn_server("random", {}, "openpi", api_key_env="FUZZ_SERVE_KEY", env=env) as s:
        url = f"ws://127.0.0.1:{s.port}"
        with pytest.raises(Exception, match="403"):  # refused at the handshake
            connect(url, open_timeout=10)
        with connect(url, additional_headers={"Authorization": f"Api-Key {KEY}"}) as ws:
            ws.recv(timeout=10)
            ws.send("a text frame")
            assert ws.recv(timeout=10).startswith("error: ")
            with pytest.raises(ConnectionClosed) as info:
                ws.recv(timeout=10)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1003


def _ffmpeg_children(pid):
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for p in kids:
        try:  # a killed child stays a zombie until reaped: it is gone (no CPU, no memory)
            if "ffmpeg" in p.name() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def test_client_disconnect_stops_the_ffmpeg_child():
    """A long lossless encode whose client goes away: its ffmpeg child exits within seconds."""
    with spawn_server("random", {}, "vllm-omni") as s:
        frame = encode_image(np.zeros((384, 384, 3), np.uint8))
        body = multipart({"num_frames": "512", "fps": "8"}, {"input_reference": frame})
        head = (
            f"POST /v1/videos/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: multipart/form-data; boundary=fuzzb\r\n\r\n"
        ).encode()
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.sendall(head + body)
        deadline = time.monotonic() + 60
        while not _ffmpeg_children(s.proc.pid):
            assert time.monotonic() < deadline, "ffmpeg never started"
            time.sleep(0.05)
        sock.close()  # the client gives up mid-encode
        gone_at = time.monotonic()
        while _ffmpeg_children(s.proc.pid):
            assert time.monotonic() - gone_at < 10, "ffmpeg outlived its request"
            time.sleep(0.05)
        print(f"ffmpeg child gone {time.monotonic() - gone_at:.2f} s after the disconnect")
        with httpx.Client(base_url=s.url, timeout=10) as c:
            assert c.get("/health").status_code == 200


def test_errors_carry_no_traceback_or_path():
    with spawn_server("random", {}, "openai") as s, httpx.Client(base_url=s.url) as c:
        for body in (b"[]", b"null", b'"x"', b"[" * 10000 + b"]" * 10000):
            r = c.post("/v1/chat/completions", content=body)
            assert r.status_code == 400 and "Traceback" not in r.text and "/" not in r.text
            assert json.loads(r.text)["error"]["type"] == "invalid_request_error"
