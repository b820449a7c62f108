"""A local pool of spawned worker processes (never fork: the parent may hold a GL context)."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from cosmos3_eval.engine.executors.base import Job, ShardResult, run_shard
from cosmos3_eval.errors import ModelExited
from cosmos3_eval.sim.lifeline import die_with_parent
from cosmos3_eval.sim.spawn import main_not_reimported


class ProcessExecutor:
    """Runs shards in ``workers`` spawned processes, at most ``2 * workers`` in flight.

    Args:
        workers: Number of processes.
    """

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=mp.get_context("spawn"),
            # Workers die with the driver, even on kill -9 (no orphaned spawn workers).
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )

    def run(self, job: Job, shards: Iterator[list[int]]) -> Iterator[ShardResult]:
        """Yield shard results as they complete; in-flight work is bounded (flat memory).

        Raises:
            ModelExited: A worker process died (the model called ``os._exit``, crashed the
                interpreter or was killed): the run cannot go on.
        """
        try:
            yield from self._run(job, shards)
        except BrokenProcessPool as exc:
            raise ModelExited(
                "a --executor process worker died mid-shard (the model or an env exited or "
                "crashed its process)"
            ) from exc

    def _run(self, job: Job, shards: Iterator[list[int]]) -> Iterator[ShardResult]:
        inflight: set[Future[ShardResult]] = set()
        for shard in shards:
            # The pool spawns its processes inside submit: keep them off the user's __main__.
            with main_not_reimported():
                inflight.add(self._pool.submit(run_shard, job, shard))
            if len(inflight) >= 2 * self.workers:
                done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        while inflight:
            done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()

    def close(self) -> None:
        """Shut the pool down (a broken pool's workers are already gone)."""
        try:
            self._pool.shutdown(wait=True, cancel_futures=True)
        except BrokenProcessPool:
            pass
