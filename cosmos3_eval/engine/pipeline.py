"""Pipelined rollouts: one group of envs steps while the model serves another.

In lockstep every env in flight waits for one batched ``act``; then every env steps while the
model sits idle, so a decision round costs model time + simulation time. Pipelining
double-buffers, as Sample Factory's sampler does (Petrenko et al., 2020): there are ``groups``
groups of envs, each as large as the lockstep batch (``--workers`` processes per group). As soon
as every live env of a group has its observation, the group's ``act`` call is queued; while the
model computes it, the other groups step. A round then costs about the larger of the two, not
their sum, and every call still carries a full batch.

Why whole groups and not halves: a model with a fixed cost per batch (a GPU behind a server)
served two half batches costs twice the model time per round, so splitting the same envs can
never beat lockstep where model time ~ simulation time (at best 1.5x where simulation is twice
the model time). The idle processes of a waiting group cost memory, not CPU.

Which group an episode runs in never changes what it sees: its outcome depends only on its seed
(the env is reset from it; each request carries ``seed`` and ``step``), so for a model that is
deterministic per request the records equal lockstep's, timing aside.

Model calls are serialised by default (one ``act`` in flight): a model is not assumed to be
thread-safe. A model that is (e.g. a client of a server that batches concurrent requests) may
declare ``max_concurrent_calls = N`` to let up to ``N`` groups' calls overlap.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import wait
from typing import Any

PIPELINE_MODES = ("auto", "on", "off")
_PROBE_ROUNDS = 4  # lockstep rounds measured by ``auto`` before it may switch (after the first)
MIN_GAIN = 1.3
"""``auto`` pipelines when the predicted speed-up (sim + model) / max(sim, model) reaches this
(1.3: below it the measured gain is within the noise and the overhead of a shared machine)."""


def pipeline_groups(mode: str) -> int:
    """How many env groups ``--pipeline MODE`` runs (each of ``--workers`` processes).

    ``auto`` and ``on`` both allow two groups; ``off`` is lockstep.

    Raises:
        ValueError: Unknown mode.
    """
    if mode not in PIPELINE_MODES:
        raise ValueError(f"--pipeline must be one of {', '.join(PIPELINE_MODES)}, not {mode!r}")
    return 1 if mode == "off" else 2


class PipelineProbe:
    """Decides when the lockstep loop hands over to :func:`run_pipelined`.

    Non-adaptive (``--pipeline on``): at once. Adaptive (``auto``): after a few lockstep rounds,
    if the model mostly waits (the driver's CPU time during ``act`` is under half its wall time:
    a remote or GPU model, not one computing on the cores the envs need) and double-buffering is
    predicted to gain :data:`MIN_GAIN`: a round costs ``max(model, sim)`` instead of
    ``model + sim``.

    Args:
        adaptive: Measure first (``auto``) instead of pipelining at once (``on``).
    """

    def __init__(self, adaptive: bool):
        self.adaptive = adaptive
        self.rounds = 0
        self.sim_s = 0.0
        self.model_s = 0.0
        self.model_cpu_s = 0.0

    def add(self, sim_s: float, model_s: float, model_cpu_s: float = 0.0) -> None:
        """Record one lockstep round: seconds waiting for the envs, then for the model.

        Args:
            sim_s: Wall time waiting for the envs' replies.
            model_s: Wall time of the ``act`` calls.
            model_cpu_s: CPU time this process spent during them (all threads).
        """
        self.rounds += 1
        if self.rounds > 1:  # the first round waits for resets, not steps
            self.sim_s += sim_s
            self.model_s += model_s
            self.model_cpu_s += model_cpu_s

    def predicted_gain(self) -> float:
        """``(sim + model) / max(sim, model)`` over the measured rounds (1.0 before any)."""
        top = max(self.sim_s, self.model_s)
        return (self.sim_s + self.model_s) / top if top > 0 else 1.0

    def pipeline_now(self) -> bool:
        """Whether to switch to the pipelined scheduler now."""
        if not self.adaptive:
            return True
        if self.rounds <= _PROBE_ROUNDS or self.model_cpu_s > 0.5 * self.model_s:
            return False
        return self.predicted_gain() >= MIN_GAIN


def run_pipelined(
    engine: Any, pool: Any, slots: list[Any], pending: deque, members: list[list[int]]
) -> Iterator[dict[str, Any]]:
    """Run every episode to its end with pipelined groups; yield finished records.

    Args:
        engine: The rollout (:class:`cosmos3_eval.engine.rollout._Rollout`): its ``_collect``,
            ``_start``, ``_dispatch`` and ``_act`` do the per-episode work, as in lockstep.
        pool: The env workers.
        slots: Episode in flight per worker (``None`` = idle); the first commands are sent.
        pending: Episodes not started yet.
        members: Slot indices of each group.
    """
    limit = max(1, int(getattr(engine.model, "max_concurrent_calls", 1) or 1))
    acting: dict[int, tuple[list[int], Future]] = {}
    queued: deque[int] = deque()  # groups ready for the model, served first come first served
    wake_r, wake_w = os.pipe()  # an act call finishing wakes the wait on the workers' pipes

    def wake(_: Future) -> None:
        os.write(wake_w, b"x")

    timeout = engine.ctx.episode_timeout_s
    try:
        with ThreadPoolExecutor(limit, thread_name_prefix="policy-act-group") as threads:
            while acting or any(s is not None for s in slots):
                # 1. finished act calls: their envs start stepping at once.
                for g in [g for g, (_, fut) in acting.items() if fut.done()]:
                    ready, fut = acting.pop(g)
                    for i, chunk in zip(ready, fut.result()):
                        if (record := engine._dispatch(pool, i, slots, pending, chunk)) is not None:
                            yield record
                # 2. replies that arrived, and episodes past their deadline (timed out there).
                now = time.monotonic()
                for i, slot in enumerate(slots):
                    if slot is None or not slot.awaiting:
                        continue
                    # The episode is charged the time since its command, as lockstep charges
                    # its own wait; _collect then reads the reply without waiting.
                    if not _readable(pool[i].conn) and now - slot.sent_at < timeout - slot.used:
                        continue
                    slot.used += now - slot.sent_at
                    if (record := engine._collect(pool[i], slot)) is not None:
                        yield record
                        slots[i] = None
                        engine._start(pool[i], i, slots, pending)
                # 3. groups whose live envs all wait for an action join the model's queue.
                for g, idx in enumerate(members):
                    live = [slots[i] for i in idx if slots[i] is not None]
                    if live and g not in acting and g not in queued:
                        if not any(s.awaiting for s in live):
                            queued.append(g)
                while queued and len(acting) < limit:
                    g = queued.popleft()
                    ready = [i for i in members[g] if slots[i] is not None]
                    fut = threads.submit(engine._act, [slots[i] for i in ready])
                    acting[g] = (ready, fut)
                    fut.add_done_callback(wake)
                # 4. sleep until a reply, a finished act call or the nearest deadline.
                _wait(pool, slots, acting, wake_r, timeout)
    finally:
        os.close(wake_r)
        os.close(wake_w)


def _readable(conn: Any) -> bool:
    try:
        return bool(conn.poll(0))
    except (EOFError, OSError):  # a dead worker: _collect records it and restarts it
        return True


def _wait(pool: Any, slots: list[Any], acting: dict, wake_r: int, timeout: float) -> None:
    if any(fut.done() for _, fut in acting.values()):
        return
    conns, deadline = [], None
    for i, slot in enumerate(slots):
        if slot is not None and slot.awaiting:
            conns.append(pool[i].conn)
            due = slot.sent_at + timeout - slot.used
            deadline = due if deadline is None else min(deadline, due)
    if not conns and not acting:
        return
    left = None if deadline is None else max(0.0, deadline - time.monotonic())
    if wake_r in wait([*conns, wake_r], left):
        os.read(wake_r, 4096)
