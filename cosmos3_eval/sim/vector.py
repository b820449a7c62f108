"""Env worker processes for closed-loop rollouts.

Each :class:`EnvWorker` is one process (``spawn`` context: ``fork`` hangs once the parent holds a
GL context, see SIM-FACTS) owning one :class:`~cosmos3_eval.sim.envs.kinds.PolicyEnv`. The parent
steps all workers in lockstep: it sends every worker a command, then collects every reply. A
worker executes a whole action chunk per command (open-loop, stopping early at the end of the
episode) and renders camera images only for the observation that the next decision reads, and
video frames only for recorded episodes.

Messages are a JSON header plus raw numpy buffers over a pipe (no pickle on the wire).

A worker that does not answer before its deadline is killed and restarted (:meth:`restart`);
the caller records the episode as an error.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from typing import Any

from cosmos3_eval.sim.envs.kinds import make_env
from cosmos3_eval.sim.isolated import start_foreign_worker
from cosmos3_eval.sim.lifeline import die_with_parent
from cosmos3_eval.sim.render import single_threaded_gl
from cosmos3_eval.sim.spawn import main_not_reimported
from cosmos3_eval.sim.worker_protocol import recv_msg, send_msg, serve_env

_CTX = mp.get_context("spawn")
STARTUP_TIMEOUT_S = 300.0
"""Max seconds for a worker process to import its simulator and build its env."""


@dataclass(frozen=True)
class EnvSpec:
    """What a worker builds: an env kind (:data:`cosmos3_eval.sim.envs.kinds.ENV_KINDS`) + args."""

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    python: str | None = None
    """Run the worker under this interpreter (an isolated sim venv, :mod:`.isolated`)."""


class WorkerTimeout(Exception):
    """A worker did not answer before its deadline (it has been killed)."""


class WorkerDied(Exception):
    """A worker process exited unexpectedly."""


def _worker_main(conn: Any, kind: str, kwargs_json: str, parent_pid: int | None = None) -> None:
    """Worker loop: build the env, then answer commands until ``close``."""
    die_with_parent(parent_pid)  # no orphaned env worker when the driver is killed

    single_threaded_gl()  # workers render in parallel: one llvmpipe thread each

    env = None
    build_error = None
    try:
        env = make_env(kind, json.loads(kwargs_json))
    except Exception as exc:  # noqa: BLE001 - reported on every command
        build_error = f"env construction failed: {type(exc).__name__}: {exc}"
    serve_env(conn, env, build_error)


class EnvWorker:
    """One env in its own process.

    Args:
        spec: What to build.
    """

    def __init__(self, spec: EnvSpec, startup_timeout_s: float = STARTUP_TIMEOUT_S):
        self.spec = spec
        self.startup_timeout_s = startup_timeout_s
        self.restarts = 0
        self._start()

    def wait_ready(self) -> None:
        """Block until the process has built its env (start-up never counts against an episode).

        Raises:
            WorkerTimeout: The worker did not come up within ``startup_timeout_s``.
        """
        deadline = time.monotonic() + self.startup_timeout_s
        while not self.is_ready(0.2):
            if not self.proc.is_alive() or time.monotonic() > deadline:
                raise WorkerTimeout(f"env worker did not start within {self.startup_timeout_s} s")

    def is_ready(self, timeout: float = 0.0) -> bool:
        """Whether the env is built, waiting at most ``timeout`` s for the start-up reply."""
        if self._ready:
            return True
        try:
            if not self.conn.poll(timeout):
                return False
            recv_msg(self.conn)
        except (EOFError, OSError):  # died while starting: wait_ready reports it
            return False
        self._ready = True
        return True

    def _start(self) -> None:
        """Start the process and queue a ``ping``: its reply says the env is built."""
        self._ready = False
        if self.spec.python:
            self.proc, self.conn = start_foreign_worker(self.spec)
        else:
            self._spawn()
        self.send({"op": "ping"})

    def _spawn(self) -> None:
        parent, child = _CTX.Pipe()
        self.proc = _CTX.Process(
            target=_worker_main,
            args=(child, self.spec.kind, json.dumps(self.spec.kwargs), os.getpid()),
            daemon=True,
        )
        with main_not_reimported():
            self.proc.start()
        child.close()
        self.conn = parent

    def send(self, msg: dict[str, Any]) -> None:
        """Send a command (the worker answers with exactly one reply)."""
        try:
            send_msg(self.conn, msg)
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(f"env worker died (exit code {self.proc.exitcode})") from exc

    def recv(self, deadline: float) -> dict[str, Any]:
        """Wait for the reply until ``deadline`` (``time.monotonic()`` seconds).

        Raises:
            WorkerTimeout: No reply in time; the worker has been killed and restarted.
            WorkerDied: The process exited; it has been restarted.
        """
        while True:
            remaining = deadline - time.monotonic()
            try:
                ready = self.conn.poll(max(0.0, min(remaining, 1.0)))
            except (EOFError, OSError):
                ready = True
            if ready:
                try:
                    msg = recv_msg(self.conn)
                    if self._ready:
                        return msg
                    self._ready = True  # the start-up ping's reply: the answer comes next
                    continue
                except (EOFError, OSError) as exc:
                    code = self.proc.exitcode
                    self.restart()
                    raise WorkerDied(f"env worker died (exit code {code})") from exc
            if not self.proc.is_alive():
                code = self.proc.exitcode
                self.restart()
                raise WorkerDied(f"env worker died (exit code {code})")
            if remaining <= 0:
                self.restart()
                raise WorkerTimeout("episode timed out: env worker hung and was restarted")

    def restart(self) -> None:
        """Kill the process and start a fresh one (same spec), waiting until it is ready."""
        self.kill()
        self.restarts += 1
        self._start()
        self.wait_ready()

    def kill(self) -> None:
        """Terminate the process now."""
        try:
            self.conn.close()
        except OSError:
            pass
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=10)

    def close(self) -> None:
        """Ask the worker to close its env, then make sure the process is gone."""
        try:
            send_msg(self.conn, {"op": "close"})
            if self.conn.poll(10):
                recv_msg(self.conn)
        except (EOFError, OSError):
            pass
        self.kill()


class WorkerPool:
    """N env workers built from one spec.

    Args:
        spec: Env to build in each worker.
        num_workers: Number of processes.
    """

    def __init__(self, spec: EnvSpec, num_workers: int):
        self.spec = spec
        self.workers: list[EnvWorker] = []
        self.grow(num_workers)
        self.wait_ready()

    def grow(self, num_workers: int) -> None:
        """Start processes until there are ``num_workers`` (without waiting for them).

        The pipelined scheduler grows the pool mid-run: the new envs build while the old ones
        keep stepping, and join once :meth:`ready` says so.
        """
        while len(self.workers) < max(1, int(num_workers)):
            self.workers.append(EnvWorker(self.spec))

    def ready(self) -> bool:
        """Whether every worker has built its env (non-blocking)."""
        return all(w.is_ready() for w in self.workers)

    def wait_ready(self) -> None:
        """Block until every worker has built its env (they start in parallel)."""
        for w in self.workers:
            w.wait_ready()

    def __len__(self) -> int:
        return len(self.workers)

    def __getitem__(self, i: int) -> EnvWorker:
        return self.workers[i]

    def close(self) -> None:
        """Close every worker."""
        for w in self.workers:
            w.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
