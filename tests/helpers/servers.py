"""Run ``cosmos3-eval serve`` in a child process for tests and the perf scripts."""

from __future__ import annotations

import json
import os
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

    def __init__(self, proc: subprocess.Popen, host: str, port: int, log: Any = None):
        self.proc = proc
        self.log = log
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"

    def output(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

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
    limits: dict[str, Any] | None = None,
    api_key_env: str | None = None,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """Start ``serve_main`` in a child process and wait until it accepts connections.

    Args:
        model_name: Registered model.
        model_args: Its arguments.
        protocol: Serve protocol.
        host: Interface.
        port: Port (default: a free one).
        startup_timeout: Seconds to wait for the port to accept connections.
        limits: ``ServeLimits`` fields (``media`` as a dict of ``MediaLimits`` fields).
        api_key_env: Variable holding the required bearer token.
        env: Extra environment variables for the server process.

    Raises:
        RuntimeError: The server exited or did not come up in time (its stderr is included).
    """
    port = port or free_port(host)
    code = (
        "import json, sys; from cosmos3_eval.serve.app import serve_main; "
        "from cosmos3_eval.serve.guard import ServeLimits; "
        "from cosmos3_eval.api.media import MediaLimits; "
        "lim = json.loads(sys.argv[6]); "
        "lim = ServeLimits(**{**lim, 'media': MediaLimits(**lim.get('media', {}))}); "
        "serve_main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], "
        "int(sys.argv[5]), lim, sys.argv[7] or None)"
    )
    log = tempfile.TemporaryFile()
    args = [sys.executable, "-c", code, model_name, json.dumps(model_args or {}), protocol]
    args += [host, str(port), json.dumps(limits or {}), api_key_env or ""]
    proc_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(args, stdout=log, stderr=log, env=proc_env)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"serve exited ({proc.returncode}): {log.read().decode()[-2000:]}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return ServerProcess(proc, host, port, log)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"serve did not listen on {host}:{port} within {startup_timeout} s")
