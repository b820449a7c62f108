"""The env worker protocol: message codec and the command loop a worker serves.

Standard library and numpy only, and no import of the package: a worker running under another
interpreter (an isolated simulator venv, :mod:`cosmos3_eval.sim.isolated_worker`) loads this
file by path and serves exactly the same protocol as an in-process worker
(:mod:`cosmos3_eval.sim.vector`). Messages are a JSON header plus raw numpy buffers over a pipe
(no pickle on the wire).
"""

from __future__ import annotations

import json
import time
import traceback
from typing import Any

import numpy as np


def send_msg(conn: Any, msg: dict[str, Any]) -> None:
    """Send a dict of JSON values and numpy arrays (any nesting of dicts and lists)."""
    bufs: list[np.ndarray] = []

    def enc(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            bufs.append(np.ascontiguousarray(x))
            return {"__nd__": len(bufs) - 1, "dtype": str(x.dtype), "shape": list(x.shape)}
        if isinstance(x, dict):
            return {str(k): enc(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [enc(v) for v in x]
        if isinstance(x, np.generic):
            return x.item()
        return x

    header = json.dumps({"n": 0, "body": enc(msg)})
    header = header.replace('{"n": 0,', f'{{"n": {len(bufs)},', 1)
    conn.send_bytes(header.encode())
    for b in bufs:
        conn.send_bytes(memoryview(b).cast("B") if b.size else b"")


def recv_msg(conn: Any) -> dict[str, Any]:
    """Receive a message sent by :func:`send_msg`."""
    header = json.loads(conn.recv_bytes().decode())
    raw = [conn.recv_bytes() for _ in range(header["n"])]

    def dec(x: Any) -> Any:
        if isinstance(x, dict):
            if "__nd__" in x:
                arr = np.frombuffer(raw[x["__nd__"]], dtype=np.dtype(x["dtype"]))
                return arr.reshape(x["shape"]).copy()
            return {k: dec(v) for k, v in x.items()}
        if isinstance(x, list):
            return [dec(v) for v in x]
        return x

    return dec(header["body"])


def observe(env: Any, cmd: dict[str, Any]) -> dict[str, Any]:
    """The observation (and privileged expert chunk) a command asks for."""
    out: dict[str, Any] = {}
    if cmd.get("observe", True):
        obs = env.observe(images=bool(cmd.get("images")))
        out["proprio"] = obs.proprio
        out["images"] = obs.images
    if cmd.get("expert", 0):
        out["expert"] = env.expert_chunk(int(cmd["expert"]))
    return out


def serve_env(conn: Any, env: Any, build_error: str | None = None) -> None:
    """Answer commands for ``env`` until ``close`` (also run by isolated-venv workers)."""
    while True:
        try:
            cmd = recv_msg(conn)
        except (EOFError, OSError):
            return
        op = cmd.get("op")
        if op == "close":
            if env is not None:
                env.close()
            send_msg(conn, {"ok": True})
            return
        if build_error is not None:
            send_msg(conn, {"error": build_error})
            continue
        started = time.perf_counter()  # the cost of simulating, apart from any queueing
        try:
            if op == "reset":
                env.reset(seed=int(cmd["seed"]))
                reply = observe(env, cmd)
                if cmd.get("frame"):
                    reply["frames"] = env.video_frame()[None]
                reply.update(steps=0, reward=0.0, success=False, done=False)
            elif op == "run":
                actions = cmd["actions"]
                frames, reward, r, n = [], 0.0, None, 0
                for a in actions:
                    r = env.sim_step(a)
                    reward += r.reward
                    n += 1
                    if cmd.get("frame"):
                        frames.append(env.video_frame())
                    if r.terminated or r.truncated:
                        break
                done = bool(r.terminated or r.truncated)
                reply = {} if done else observe(env, cmd)
                if frames:
                    reply["frames"] = np.stack(frames)
                reply.update(
                    steps=n,
                    reward=reward,
                    success=bool(r.success),
                    done=done,
                    t=int(env._t),
                )
            elif op == "ping":  # answered once the env is built (or failed to build)
                reply = {"ok": True}
            else:
                reply = {"error": f"unknown worker op '{op}'"}
        except Exception as exc:  # noqa: BLE001 - an env fault is recorded on the episode
            last = traceback.extract_tb(exc.__traceback__)[-1]
            reply = {
                "error": f"env raised {type(exc).__name__}: {exc} "
                f"({last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
            }
        if op in ("reset", "run"):
            reply["sim_s"] = time.perf_counter() - started
        send_msg(conn, reply)
