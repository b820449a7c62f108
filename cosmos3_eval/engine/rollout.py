"""The closed-loop rollout engine: many env workers, one batched ``act`` call per round.

1. the model's declared action space is checked against the task's before the first step
   (:meth:`~cosmos3_eval.api.benchmark.Benchmark.check_model`; ``None`` = the model adapts);
2. ``ctx.workers`` env processes (the benchmark's :meth:`env_pool`, see
   :mod:`cosmos3_eval.sim.vector`) are stepped in lockstep; each decision round makes one
   batched ``model.act`` call for every env that needs an action (split by ``ctx.batch_size``
   if set). With ``ctx.pipeline_groups > 1`` more groups of as many envs join and the groups
   step while the model serves another (:mod:`cosmos3_eval.engine.pipeline`);
3. each chunk runs open-loop for ``ctx.replan_every`` steps (default: the whole chunk) inside
   the worker; cameras are rendered only for the observation of the next decision, video frames
   only for episodes with ``index < ctx.video``;
4. a finished env is refilled with the next pending episode.

An episode's outcome depends only on its seed: the env is reset from it, the policy gets it on
every request (``seed``, ``step``), and nothing depends on which worker or batch served it.

Faults confined to one episode (the model raised / returned NaN / the wrong shape / hung, the
env raised / hung / went unstable) end that episode with ``termination="error"`` and a reason;
the run goes on (the runner applies ``--max-errors``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cosmos3_eval.api.benchmark import ClosedLoopBenchmark, EpisodeSpec, RolloutContext
from cosmos3_eval.api.media import write_mp4
from cosmos3_eval.api.model import check_outputs
from cosmos3_eval.api.seal import seal_request
from cosmos3_eval.api.types import ActionSpec, ActRequest, Observation
from cosmos3_eval.engine.guard import CallTimedOut, run_guarded
from cosmos3_eval.engine.pipeline import PipelineProbe, run_pipelined
from cosmos3_eval.errors import ModelExited, ModelOutputError
from cosmos3_eval.sim.vector import EnvWorker, WorkerDied, WorkerTimeout


def rollout(
    bench: ClosedLoopBenchmark, model: Any, episodes: list[EpisodeSpec], ctx: RolloutContext
) -> Iterator[dict[str, Any]]:
    """Run ``episodes`` of ``bench`` on ``ctx.workers`` env processes.

    Args:
        bench: The closed-loop task (env pool, action spec, instruction).
        model: An ``act``-capable model.
        episodes: The episodes to run (any order; started in index order).
        ctx: Workers, batching, replanning, video and timeout options.

    Yields:
        One record per finished episode, in completion order: ``id``, ``index``, ``seed``,
        ``steps``, ``success``, ``termination``, ``error``, ``model_calls``, ``return``,
        ``scores`` and, for recorded episodes, ``video``.

    Raises:
        ActionSpaceMismatch: The model's declared action space differs from the task's.
    """
    bench.check_model(model)  # also here: the engine may be called without the runner
    if not episodes:
        return
    yield from _Rollout(bench, model, ctx).run(episodes)


@dataclass
class _Slot:
    """An episode in flight on one worker."""

    spec: EpisodeSpec
    record_video: bool
    used: float = 0.0  # seconds charged to this episode: its own env waits and act calls
    steps: int = 0
    ret: float = 0.0
    calls: int = 0
    success: bool = False
    obs: Observation | None = None
    expert: np.ndarray | None = None
    frames: list[np.ndarray] = field(default_factory=list)
    awaiting: bool = False
    sent_at: float = 0.0  # time.monotonic() of the last command (the pipelined scheduler)
    model_s: float = 0.0  # this episode's share of its act calls (call time / batch size)
    call_s: float = 0.0  # the summed duration of its act calls
    sim_s: float = 0.0  # seconds its worker spent executing its commands (measured there)


class _Rollout:
    """One call of :func:`rollout`: the loop state shared by its steps."""

    def __init__(self, bench: ClosedLoopBenchmark, model: Any, ctx: RolloutContext):
        self.bench = bench
        self.model = model
        self.ctx = ctx
        self.spec = bench.action_spec()
        # Never render a frame nobody reads: models declare `reads_images = False` to opt out.
        self.reads_images = bool(getattr(model, "reads_images", True))
        self.expert_len = max(1, self.spec.chunk_size) if ctx.privileged else 0

    def run(self, episodes: list[EpisodeSpec]) -> Iterator[dict[str, Any]]:
        """Yield one record per episode as it finishes."""
        ctx = self.ctx
        pending = deque(sorted(episodes, key=lambda e: e.index))
        n_workers = min(max(1, ctx.workers), len(pending))
        pool = self.bench.env_pool(n_workers)
        slots: list[_Slot | None] = [None] * n_workers
        probe = PipelineProbe(ctx.pipeline_adaptive)
        groups, grown = max(1, ctx.pipeline_groups), 0
        finished = False
        try:
            for i in range(n_workers):
                self._start(pool[i], i, slots, pending)
            while any(s is not None for s in slots):
                if groups > 1 and probe.pipeline_now():
                    # Double-buffer: up to groups - 1 more groups of n_workers envs, started
                    # without waiting (lockstep goes on while they build their envs).
                    if not grown:
                        grown = min((groups - 1) * n_workers, len(pending))
                        if not grown:
                            groups = 1  # nothing left to overlap with
                            continue
                        pool.grow(n_workers + grown)
                        if not ctx.pipeline_adaptive:
                            pool.wait_ready()  # ``on``: pipelined from the first round
                    if pool.ready():
                        members = self._add_slots(pool, slots, pending, n_workers + grown)
                        yield from run_pipelined(self, pool, slots, pending, members)
                        break
                t0 = time.monotonic()
                # 1. collect every outstanding reply (resets and chunks), lockstep.
                for i, slot in enumerate(slots):
                    if slot is None or not slot.awaiting:
                        continue
                    record = self._collect(pool[i], slot)
                    if record is not None:
                        yield record
                        slots[i] = None
                        self._start(pool[i], i, slots, pending)
                if not any(s is not None and not s.awaiting for s in slots):
                    continue
                # 2. one batched act call for every env that needs an action.
                ready = [i for i, s in enumerate(slots) if s is not None and not s.awaiting]
                t1, c1 = time.monotonic(), time.process_time()
                chunks = self._act([slots[i] for i in ready])
                probe.add(t1 - t0, time.monotonic() - t1, time.process_time() - c1)
                # 3. send chunks (or end the episode on a model fault).
                for i, chunk in zip(ready, chunks):
                    record = self._dispatch(pool, i, slots, pending, chunk)
                    if record is not None:
                        yield record
            finished = True
        finally:
            if not finished:
                # Interrupted mid-episode: replies may still be in flight, so never reuse.
                self.bench.close()

    def _add_slots(self, pool: Any, slots: list, pending: deque, total: int) -> list[list[int]]:
        """Start episodes on the grown pool's new workers; return the groups' slot indices."""
        size = len(slots)
        for i in range(size, total):
            slots.append(None)
            self._start(pool[i], i, slots, pending)
        return [list(range(lo, min(lo + size, total))) for lo in range(0, total, size)]

    def _dispatch(
        self, pool: Any, i: int, slots: list, pending: deque, chunk: np.ndarray | str
    ) -> dict[str, Any] | None:
        """Send worker ``i`` its chunk; on a model fault end the episode and return its record."""
        slot = slots[i]
        if isinstance(chunk, str):
            record = self._record(slot, error=chunk)
            slots[i] = None
            self._start(pool[i], i, slots, pending)
            return record
        n = len(chunk) if self.ctx.replan_every is None else min(self.ctx.replan_every, len(chunk))
        self._send(pool[i], slot, {"op": "run", "actions": chunk[:n]})
        return None

    def _start(self, worker: EnvWorker, i: int, slots: list, pending: deque) -> None:
        """Refill worker ``i`` with the next pending episode (if any)."""
        if pending:
            spec = pending.popleft()
            slot = _Slot(spec, spec.index < self.ctx.video)
            slots[i] = slot
            self._send(worker, slot, {"op": "reset", "seed": spec.seed})

    def _send(self, worker: EnvWorker, slot: _Slot, msg: dict[str, Any]) -> None:
        msg.update(images=self.reads_images, expert=self.expert_len, frame=slot.record_video)
        slot.awaiting = True
        slot.sent_at = time.monotonic()
        try:
            worker.send(msg)
        except WorkerDied:
            worker.restart()
            worker.send(msg)

    def _collect(self, worker: EnvWorker, slot: _Slot) -> dict[str, Any] | None:
        """Receive one reply; return the finished record or ``None`` if it goes on."""
        slot.awaiting = False
        # Only the time this episode itself waits is charged to it: in lockstep, time spent
        # serving other envs (or restarting a hung worker) must not time out a healthy episode.
        t0 = time.monotonic()
        try:
            reply = worker.recv(t0 + self.ctx.episode_timeout_s - slot.used)
        except (WorkerTimeout, WorkerDied) as exc:
            return self._record(slot, error=str(exc))
        finally:
            slot.used += time.monotonic() - t0
        slot.sim_s += float(reply.get("sim_s", 0.0))
        if "frames" in reply:
            slot.frames.extend(reply["frames"])
        if "error" in reply:
            return self._record(slot, error=reply["error"])
        slot.steps += int(reply["steps"])
        slot.ret += float(reply["reward"])
        slot.success = bool(reply["success"])
        if reply["done"]:
            return self._record(slot)
        slot.obs = Observation(images=reply.get("images", {}), proprio=reply.get("proprio", {}))
        slot.expert = reply.get("expert")
        return None

    def _act(self, slots: list[_Slot]) -> list[np.ndarray | str]:
        """Batched act calls; each item is a validated chunk or an error reason."""
        ctx = self.ctx
        requests = [
            seal_request(
                ctx.seal,
                ActRequest(
                    episode_id=s.spec.id,
                    observation=s.obs,
                    instruction=self.bench.episode_instruction(s.spec),
                    step=s.steps,
                    seed=s.spec.seed,
                    action_spec=self.spec,
                    privileged={"actions": s.expert} if ctx.privileged else None,
                ),
                s.spec.id,
                s.spec.seed,
            )
            for s in slots
        ]
        size = ctx.batch_size or len(requests)
        out: list[np.ndarray | str] = []
        for lo in range(0, len(requests), size):
            batch, bslots = requests[lo : lo + size], slots[lo : lo + size]
            for s in bslots:
                s.calls += 1
            budget = min(ctx.episode_timeout_s - s.used for s in bslots)
            t0 = time.monotonic()
            result = _call_with_timeout(self.model.act, batch, budget)
            elapsed = time.monotonic() - t0
            for s in bslots:
                s.used += elapsed
                s.model_s += elapsed / len(batch)
                s.call_s += elapsed
            if isinstance(result, str):
                out.extend([result] * len(batch))
                continue
            out.extend(_validate(c, self.spec) for c in result)
        return out

    def _record(self, slot: _Slot, error: str | None = None) -> dict[str, Any]:
        success = slot.success and error is None
        termination = "error" if error else ("success" if success else "horizon")
        scores: dict[str, float] = {"success": float(success), "return": slot.ret}
        if success:
            scores["steps_to_success"] = float(slot.steps)
        rec: dict[str, Any] = {
            "id": slot.spec.id,
            "index": slot.spec.index,
            "seed": slot.spec.seed,
            "steps": slot.steps,
            "success": success,
            "termination": termination,
            "error": error,
            "model_calls": slot.calls,
            "return": slot.ret,
            "scores": scores,
            # Timing (never compared between runs): model share of its act calls, sim seconds.
            "latency_s": round(slot.model_s, 6),
            "call_s": round(slot.call_s / slot.calls, 6) if slot.calls else None,
            "sim_s": round(slot.sim_s, 6),
        }
        if slot.record_video and slot.frames and self.ctx.artifacts_dir is not None:
            rec["video"] = self._write_video(slot, Path(self.ctx.artifacts_dir))
        return rec

    def _write_video(self, slot: _Slot, out_dir: Path) -> str:
        out_dir.mkdir(parents=True, exist_ok=True)
        name = f"{slot.spec.id.replace('/', '_')}.mp4"
        fps = self.bench.video_fps()
        write_mp4(out_dir / name, slot.frames, fps)
        return name


def _call_with_timeout(act: Any, batch: list[Any], timeout: float) -> list[Any] | str:
    """Call ``act(batch)`` under :func:`run_guarded`; return its outputs or an error reason.

    A hung model cannot be killed from Python; its daemon thread is abandoned and the episodes
    of that batch are recorded as timed out. A model that raises ``SystemExit`` ends the run.
    """
    try:
        result = run_guarded(lambda: act(batch), timeout, "act()")
    except ModelExited:
        raise
    except CallTimedOut:
        return f"model timed out: act() did not return within the {max(0.0, timeout):.1f} s left"
    except Exception as exc:  # noqa: BLE001 - reported on the episodes
        return f"model raised {type(exc).__name__}: {exc}"
    try:
        return check_outputs(result, len(batch))
    except ModelOutputError as exc:
        return str(exc)


def _validate(chunk: Any, spec: ActionSpec) -> np.ndarray | str:
    """A ``(T, dim)`` finite float chunk, or the reason it is not one."""
    if isinstance(chunk, BaseException):
        return f"model raised {type(chunk).__name__}: {chunk}"
    actions = getattr(chunk, "actions", chunk)
    try:
        arr = np.asarray(actions, dtype=np.float64)
    except (TypeError, ValueError):
        return f"model output is not numeric: {type(actions).__name__}"
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] != spec.dim:
        return f"model returned an action chunk of shape {arr.shape}, expected (T>=1, {spec.dim})"
    if not np.all(np.isfinite(arr)):
        return "model returned non-finite actions (NaN or inf)"
    return arr
