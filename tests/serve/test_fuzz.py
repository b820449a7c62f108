"""Bounded, seeded fuzzing of every ``serve`` protocol over real loopback servers.

Hundreds of malformed requests per protocol (wrong types, list / string / null bodies, huge
numbers, deep nesting, bad base64, PNG bombs, bad sizes, bad multipart, WebSocket text frames
and garbage msgpack): the server must stay up, answer every one with a 4xx (never a 5xx), and
never show a traceback or a server path.
"""

import json
import os
import struct
import time
import zlib

import httpx
import msgpack
import numpy as np
import pytest

from cosmos3_eval.api.media import b64encode, encode_image
from cosmos3_eval.protocols import openpi as pi_wire
from tests.helpers.servers import spawn_server

SEED = 1234
MUTATIONS = 150  # random mutations of a valid request per endpoint
LEAKS = ("Traceback", 'File "', "site-packages", os.path.dirname(os.path.dirname(__file__)))


def png_header_bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A tiny PNG whose header claims ``width x height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def png_real_bomb() -> bytes:
    """A real, highly compressible 5000 x 5000 PNG (25 MP, over the 16 MP default)."""
    return encode_image(np.zeros((5000, 5000, 3), np.uint8))


GOOD_PNG = encode_image(np.full((8, 6, 3), 100, np.uint8))
BAD_IMAGES = [b"", b"not an image", png_header_bomb(), GOOD_PNG[:30], b"\x89PNG\r\n\x1a\n"]


def uri(data: bytes) -> str:
    return "data:image/png;base64," + b64encode(data)


def junk_values(bomb: bytes) -> list:
    deep = [0]
    for _ in range(200):
        deep = [deep]
    return [
        None, True, -1, 0, 2**70, -(2**70), 1e308, float("inf"), "", "x" * 50, "1e400",
        [], {}, [[[]]], {"a": None}, deep, "data:image/png;base64,!!!!", uri(bomb),
        uri(png_header_bomb()), "data:image/png;base64," + "A" * 7, "0x0", "40000x40000",
    ]  # fmt: skip


def mutate(body, rng, junk):
    """A copy of ``body`` with one random value (at any depth) replaced by junk."""
    body = json.loads(json.dumps(body))
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(body, ())
    path = paths[rng.integers(len(paths))]
    value = junk[rng.integers(len(junk))]
    if not path:
        return value
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def raw_bodies() -> list[bytes]:
    """Bodies that are not a JSON object: lists, strings, null, huge numbers, deep nesting."""
    return [
        b"[]", b'"x"', b"null", b"1e400", b"true", b"", b"{", b"\xff\xfe",
        b"[" * 10000 + b"]" * 10000,
        b'{"a":' * 10000 + b"1" + b"}" * 10000, b'{"seed": 1e400}', b'{"messages": 1e400}',
        b'{"prompt": "p", "seed": 1e400}', b'{"prompt": "p", "size": "0x0"}',
        b'{"prompt": "p", "size": "40000x40000"}', b'{"image": "!!!", "prompt": "p"}',
    ]  # fmt: skip


class Tally:
    """Counts of responses and the problems found (5xx, leaks)."""

    def __init__(self):
        self.sent = 0
        self.codes: dict[int, int] = {}
        self.problems: list[str] = []

    def check(self, status: int, text: str, what: str) -> None:
        self.sent += 1
        self.codes[status] = self.codes.get(status, 0) + 1
        if status >= 500:
            self.problems.append(f"{what}: {status} {text[:200]}")
        for leak in LEAKS:
            if leak and leak in text:
                self.problems.append(f"{what}: leaks {leak!r}: {text[:200]}")

    def report(self, name: str) -> str:
        four = sum(n for c, n in self.codes.items() if 400 <= c < 500)
        five = sum(n for c, n in self.codes.items() if c >= 500)
        return f"{name}: sent={self.sent} 4xx={four} 5xx={five} codes={sorted(self.codes.items())}"


def post_all(client, path, bodies, tally, json_bodies=True):
    for body in bodies:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        r = client.post(path, content=content, headers={"content-type": "application/json"})
        tally.check(r.status_code, r.text, f"{path} {content[:80]!r}")


def assert_alive(server, client, tally, name):
    assert server.proc.poll() is None, f"{name} server died"
    assert client.get("/health").status_code == 200
    print(tally.report(name))
    assert not tally.problems, tally.problems[:5]
    assert tally.sent >= 100


@pytest.fixture(scope="module")
def bomb():
    return png_real_bomb()


def test_fuzz_openai(bomb):
    rng = np.random.default_rng(SEED)
    valid = {
        "model": "m",
        "seed": 3,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": uri(GOOD_PNG)}},
                    {"type": "video", "video": [uri(GOOD_PNG), uri(GOOD_PNG)], "fps": 4},
                    {"type": "text", "text": "How many?"},
                ],
            }
        ],
    }
    junk = junk_values(bomb)
    tally = Tally()
    start = time.monotonic()
    with spawn_server("random", {}, "openai") as s, httpx.Client(base_url=s.url, timeout=30) as c:
        post_all(c, "/v1/chat/completions", raw_bodies(), tally)
        bodies = [mutate(valid, rng, junk) for _ in range(MUTATIONS)]
        for b in BAD_IMAGES:
            part = {"type": "image_url", "image_url": {"url": uri(b)}}
            bodies.append({**valid, "messages": [{"role": "user", "content": [part]}]})
        post_all(c, "/v1/chat/completions", bodies, tally)
        assert_alive(s, c, tally, "openai")
    assert time.monotonic() - start < 60


def multipart(fields, files, boundary="fuzzb"):
    out = b""
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
        out += (v if isinstance(v, bytes) else str(v).encode()) + b"\r\n"
    for k, v in files.items():
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="f"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + v
            + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode()


def test_fuzz_vllm_omni(bomb):
    rng = np.random.default_rng(SEED + 1)
    junk = junk_values(bomb)
    tally = Tally()
    start = time.monotonic()
    with (
        spawn_server("random", {}, "vllm-omni") as s,
        httpx.Client(base_url=s.url, timeout=30) as c,
    ):
        valid = {"model": "m", "prompt": "a cube", "n": 1, "size": "16x8", "seed": 1}
        post_all(c, "/v1/images/generations", raw_bodies(), tally)
        post_all(c, "/v1/images/generations", [mutate(valid, rng, junk) for _ in range(80)], tally)
        fields = {"prompt": "p", "num_frames": "3", "fps": "4", "seed": "1", "actions": "[[0.1]]"}
        bad_fields = ["1000000", "0", "-5", "x", "nan", "inf", "1e400", "[" * 10000, '[[1, "a"]]',
                      "[1, 2]", "\xff", "99999999999999999999999"]  # fmt: skip
        ctype = {"content-type": "multipart/form-data; boundary=fuzzb"}
        cases = []
        for _ in range(MUTATIONS):
            f = dict(fields)
            f[list(f)[rng.integers(len(f))]] = bad_fields[rng.integers(len(bad_fields))]
            image = [GOOD_PNG, *BAD_IMAGES, bomb][rng.integers(len(BAD_IMAGES) + 2)]
            name = ["input_reference", "conditioning_video"][rng.integers(2)]
            cases.append((multipart(f, {name: image}), ctype))
        cases += [
            (b"garbage", ctype),
            (b"garbage", {"content-type": "multipart/form-data"}),
            (multipart(fields, {}), ctype),
            (multipart(fields, {"input_reference": GOOD_PNG}), {"content-type": "text/plain"}),
            (b"--fuzzb\r\n\r\n" * 1000, ctype),
        ]
        for body, headers in cases:
            r = c.post("/v1/videos/sync", content=body, headers=headers)
            tally.check(r.status_code, r.text if r.status_code != 200 else "", "videos")
        assert_alive(s, c, tally, "vllm-omni")
    assert time.monotonic() - start < 60


def test_fuzz_cosmos_policy(bomb):
    rng = np.random.default_rng(SEED + 2)
    junk = junk_values(bomb)
    tally = Tally()
    item = {"image": b64encode(encode_image(np.zeros((8, 16, 3), np.uint8))), "prompt": "lift"}
    item.update(cosmos3_seed=1, cosmos3_step=0, cosmos3_episode_id="e")
    start = time.monotonic()
    with (
        spawn_server("random", {}, "cosmos-policy") as s,
        httpx.Client(base_url=s.url, timeout=30) as c,
    ):
        post_all(c, "/predict", raw_bodies(), tally)
        post_all(c, "/predict", [mutate(item, rng, junk) for _ in range(MUTATIONS)], tally)
        batches = [mutate({"items": [item, item]}, rng, junk) for _ in range(60)]
        batches += [{"items": []}, {"items": [item] * 1000}, {"items": "x"}]
        post_all(c, "/predict_batch", batches, tally)
        post_all(
            c, "/predict", [{**item, "image": b64encode(b)} for b in [*BAD_IMAGES, bomb]], tally
        )
        assert_alive(s, c, tally, "cosmos-policy")
    assert time.monotonic() - start < 60


def ws_messages(rng):
    """Garbage WebSocket messages: text frames, non-msgpack bytes, wrong shapes and types."""
    good = {"observation/image": np.zeros((8, 8, 3), np.uint8), "prompt": "lift",
            "cosmos3/action_spec": json.dumps({"kind": "k", "dim": 7})}  # fmt: skip
    obj_array = {b"__ndarray__": True, b"data": b"\0" * 64, b"dtype": "|O", b"shape": [8]}
    huge = {b"__ndarray__": True, b"data": b"\0", b"dtype": "<f4", b"shape": [2**40, 2**40]}
    msgs = [
        "text frame", "", b"", b"\xc1" * 10, rng.bytes(64), msgpack.packb([1, 2]),
        msgpack.packb("x"), msgpack.packb(None), msgpack.packb({1: 2}),
        msgpack.packb({"a": obj_array}), msgpack.packb({"a": huge}),
        msgpack.packb({"cosmos3/seed": "x", **{k: 0 for k in ("prompt",)}}),
        b"\x91" * 10000,
    ]  # fmt: skip
    junk = [None, "x", -1, 2**63, 1.5, {"a": 1}, "{", "[]", '{"kind": 1}', [1, 2]]
    for _ in range(MUTATIONS):
        obs = dict(good)
        keys = ["cosmos3/seed", "cosmos3/step", "cosmos3/action_spec", "cosmos3/cameras"]
        keys += ["cosmos3/proprio", "observation/image", "observation/state"]
        key = keys[rng.integers(len(keys))]
        arrays = [np.zeros((8, 8, 4), np.uint8), np.zeros((5000, 5000, 3), np.uint8)[:1],
                  np.full(3, np.nan, np.float32), np.zeros((2, 2, 2, 2), np.float32)]  # fmt: skip
        pool = junk + arrays
        obs[key] = pool[rng.integers(len(pool))]
        msgs.append(pi_wire.pack_msgpack(obs))
    return msgs


def test_fuzz_openpi():
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    rng = np.random.default_rng(SEED + 3)
    tally = Tally()
    closes: dict[int, int] = {}
    start = time.monotonic()
    with spawn_server("random", {}, "openpi") as s:
        for msg in ws_messages(rng):
            with connect(f"ws://127.0.0.1:{s.port}", max_size=None, open_timeout=10) as ws:
                ws.recv(timeout=10)  # metadata
                ws.send(msg)
                try:
                    reply = ws.recv(timeout=30)
                    text = reply if isinstance(reply, str) else ""
                    status = 400 if isinstance(reply, str) else 200
                except ConnectionClosed:
                    text, status = "", 400
                if isinstance(reply, str):
                    try:
                        ws.recv(timeout=10)
                    except ConnectionClosed as exc:
                        code = exc.rcvd.code if exc.rcvd else 1006
                        closes[code] = closes.get(code, 0) + 1
                        if code not in (1003, 1007, 1008):
                            status = 500  # no close frame, or a server fault
                tally.check(status, text, f"openpi {msg[:40]!r}")
        with httpx.Client(base_url=s.url, timeout=10) as c:
            assert_alive(s, c, tally, "openpi")
    print("openpi close codes:", sorted(closes.items()))
    assert time.monotonic() - start < 60
