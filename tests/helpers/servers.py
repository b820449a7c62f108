"""Run ``cosmos3-eval serve`` in a child process for tests and the perf scripts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``."""
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

    def __init__(self, proc: subprocess.Popen, host: str, port: int):
        self.proc = proc
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"

    def close(self) -> None:
        """Terminate the server process (kill it if it does not exit within 10 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> ServerProcess:
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
    """Start ``serve_main`` in a child process and wait until it accepts connections.

    Raises:
        RuntimeError: The server exited or did not come up in time (its stderr is included).
    """
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
