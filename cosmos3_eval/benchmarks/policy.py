"""Closed-loop policy benchmarks: robosuite, gymnasium MuJoCo and the project's push-block.

Rollout engine (:meth:`PolicyBenchmark.rollout`):

1. the model's declared action space is checked against the task's before the first step
   (:func:`cosmos3_eval.api.actions.check_action_spec`; ``None`` = the model adapts);
2. ``ctx.workers`` env processes (:mod:`cosmos3_eval.sim.vector`) are stepped in lockstep; each
   decision round makes one batched ``model.act`` call for every env that needs an action
   (split by ``ctx.batch_size`` if set);
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

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from cosmos3_eval.api.actions import check_action_spec
from cosmos3_eval.api.benchmark import (
    ClosedLoopBenchmark,
    EpisodeSpec,
    RolloutContext,
    StrictConfig,
    sample_id,
)
from cosmos3_eval.api.registry import import_target
from cosmos3_eval.api.types import ActionSpec, ActRequest, Observation
from cosmos3_eval.scorers.aggregate import MetricSpec
from cosmos3_eval.sim.envs.kinds import ENV_KINDS
from cosmos3_eval.sim.vector import EnvSpec, EnvWorker, WorkerDied, WorkerPool, WorkerTimeout


class PolicyConfig(StrictConfig):
    """Options shared by every policy task.

    Attributes:
        horizon: Max env steps per episode (``None`` = the env's default).
        image_size: Square camera image size.
        cameras: Cameras in the observation (``None`` = the env's default).
        video_fps: Frame rate of saved episode videos.
    """

    horizon: int | None = None
    image_size: int = 128
    cameras: list[str] | None = None
    video_fps: float = 20.0


class RobosuiteConfig(PolicyConfig):
    """robosuite task options (Panda, BASIC composite controller).

    Attributes:
        task: robosuite environment name.
        construction_seed: ``suite.make`` seed (fixes object sizes for the task version).
        use_latch: Door only: the handle must be turned before pulling.
    """

    task: Literal["Lift", "Door", "Stack", "PickPlaceCan"]
    construction_seed: int = 0
    use_latch: bool = False


class GymConfig(PolicyConfig):
    """gymnasium MuJoCo task options.

    Attributes:
        env: ``reacher`` (Reacher-v5) or ``pusher`` (Pusher-v5).
        success_threshold: Distance (m) of the success predicate (``None`` = env default).
    """

    env: Literal["reacher", "pusher"]
    success_threshold: float | None = None


class PushBlockConfig(PolicyConfig):
    """push-block options.

    Attributes:
        max_speed: Pusher speed at action 1 (m/s).
    """

    max_speed: float = 0.3


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


class PolicyBenchmark(ClosedLoopBenchmark):
    """Base of the policy benchmark types: env spec + the rollout engine."""

    Config: ClassVar[type[StrictConfig]] = PolicyConfig
    main_metric: ClassVar[str] = "success"
    default_size: ClassVar[int] = 50
    metric_specs: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("success", ci="wilson", description="episode success rate (info.is_success)"),
        MetricSpec(
            "return",
            ci="bootstrap",
            on_error=None,
            breakdown=False,
            description="sum of env rewards (shaped where the env defines one)",
        ),
        MetricSpec(
            "steps_to_success",
            higher_is_better=False,
            on_error=None,
            breakdown=False,
            description="env steps until success (successful episodes only)",
        ),
    )

    env_kind: ClassVar[str] = ""

    def env_kwargs(self) -> dict[str, Any]:
        """JSON-safe arguments of the env kind (sent to worker processes)."""
        cfg = self.config
        kw: dict[str, Any] = {"image_size": cfg.image_size}
        if cfg.horizon is not None:
            kw["horizon"] = cfg.horizon
        if cfg.cameras is not None:
            kw["cameras"] = list(cfg.cameras)
        return kw

    def env_spec(self) -> EnvSpec:
        """The worker's env."""
        return EnvSpec(self.env_kind, self.env_kwargs())

    def _env_class(self) -> Any:
        return import_target(ENV_KINDS[self.env_kind])

    def action_spec(self) -> ActionSpec:
        return self._env_class().action_spec

    def instruction(self) -> str:
        """The language instruction given to the policy."""
        return self._env_class().instruction

    def episode_instruction(self, spec: EpisodeSpec) -> str:
        """The instruction of one episode (multi-task families override this)."""
        return self.instruction()

    def episode(self, index: int, seed: int) -> EpisodeSpec:
        return EpisodeSpec(id=sample_id(self.task_id, index), index=index, seed=seed)

    def provenance(self) -> dict[str, Any]:
        from cosmos3_eval.sim.render import render_provenance

        return {"env": {"kind": self.env_kind, **self.env_kwargs()}, "render": render_provenance()}

    # ------------------------------------------------------------------------- rollout

    def check_model(self, model: Any) -> None:
        """The action contract: the model's declared action space must equal the task's."""
        info = getattr(model, "info", None)
        check_action_spec(
            self.action_spec(),
            getattr(info, "action_spec", None),
            task_name=self.task_id,
            model_name=getattr(info, "name", type(model).__name__),
        )

    def rollout(
        self, model: Any, episodes: list[EpisodeSpec], ctx: RolloutContext
    ) -> Iterator[dict[str, Any]]:
        """Run ``episodes`` on ``ctx.workers`` env processes; yield one record per episode."""
        spec = self.action_spec()
        self.check_model(model)  # also here: rollout may be called without the runner
        if not episodes:
            return
        # Never render a frame nobody reads: models declare `reads_images = False` to opt out.
        self._reads_images = bool(getattr(model, "reads_images", True))
        pending = deque(sorted(episodes, key=lambda e: e.index))
        n_workers = min(max(1, ctx.workers), len(pending))
        pool = self._warm_pool(n_workers)
        slots: list[_Slot | None] = [None] * n_workers
        finished = False
        try:
            for i in range(n_workers):
                self._start(pool[i], i, slots, pending, ctx)
            while any(s is not None for s in slots):
                # 1. collect every outstanding reply (resets and chunks), lockstep.
                for i, slot in enumerate(slots):
                    if slot is None or not slot.awaiting:
                        continue
                    record = self._collect(pool[i], slot, ctx)
                    if record is not None:
                        yield record
                        slots[i] = None
                        self._start(pool[i], i, slots, pending, ctx)
                if not any(s is not None and not s.awaiting for s in slots):
                    continue
                # 2. one batched act call for every env that needs an action.
                ready = [i for i, s in enumerate(slots) if s is not None and not s.awaiting]
                chunks = self._act(model, [slots[i] for i in ready], spec, ctx)
                # 3. send chunks (or end the episode on a model fault).
                for i, chunk in zip(ready, chunks):
                    slot = slots[i]
                    if isinstance(chunk, str):
                        yield self._record(slot, ctx, error=chunk)
                        slots[i] = None
                        self._start(pool[i], i, slots, pending, ctx)
                        continue
                    n = (
                        len(chunk)
                        if ctx.replan_every is None
                        else min(ctx.replan_every, len(chunk))
                    )
                    self._send(pool[i], slot, ctx, {"op": "run", "actions": chunk[:n]})
            finished = True
        finally:
            if not finished:
                # Interrupted mid-episode: replies may still be in flight, so never reuse.
                pool.close()
                self._pool = None

    def _warm_pool(self, n_workers: int) -> WorkerPool:
        """The env worker pool, kept warm across rollout calls (executors call per shard)."""
        pool = getattr(self, "_pool", None)
        if pool is not None and len(pool) == n_workers:
            return pool
        if pool is not None:
            pool.close()
        self._pool: WorkerPool | None = WorkerPool(self.env_spec(), n_workers)
        return self._pool

    def close(self) -> None:
        """Stop the env worker processes."""
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()
            self._pool = None

    def _start(
        self, worker: EnvWorker, i: int, slots: list, pending: deque, ctx: RolloutContext
    ) -> None:
        """Refill worker ``i`` with the next pending episode (if any)."""
        if pending:
            spec = pending.popleft()
            slot = _Slot(spec, spec.index < ctx.video)
            slots[i] = slot
            self._send(worker, slot, ctx, {"op": "reset", "seed": spec.seed})

    def _send(
        self, worker: EnvWorker, slot: _Slot, ctx: RolloutContext, msg: dict[str, Any]
    ) -> None:
        msg.update(
            images=self._reads_images,
            expert=self._expert_len() if ctx.privileged else 0,
            frame=slot.record_video,
        )
        slot.awaiting = True
        try:
            worker.send(msg)
        except WorkerDied:
            worker.restart()
            worker.send(msg)

    def _expert_len(self) -> int:
        return max(1, self.action_spec().chunk_size)

    def _collect(
        self, worker: EnvWorker, slot: _Slot, ctx: RolloutContext
    ) -> dict[str, Any] | None:
        """Receive one reply; return the finished record or ``None`` if it goes on."""
        slot.awaiting = False
        # Only the time this episode itself waits is charged to it: in lockstep, time spent
        # serving other envs (or restarting a hung worker) must not time out a healthy episode.
        t0 = time.monotonic()
        try:
            reply = worker.recv(t0 + ctx.episode_timeout_s - slot.used)
        except (WorkerTimeout, WorkerDied) as exc:
            return self._record(slot, ctx, error=str(exc))
        finally:
            slot.used += time.monotonic() - t0
        if "frames" in reply:
            slot.frames.extend(reply["frames"])
        if "error" in reply:
            return self._record(slot, ctx, error=reply["error"])
        slot.steps += int(reply["steps"])
        slot.ret += float(reply["reward"])
        slot.success = bool(reply["success"])
        if reply["done"]:
            return self._record(slot, ctx)
        slot.obs = Observation(images=reply.get("images", {}), proprio=reply.get("proprio", {}))
        slot.expert = reply.get("expert")
        return None

    def _act(
        self, model: Any, slots: list[_Slot], spec: ActionSpec, ctx: RolloutContext
    ) -> list[np.ndarray | str]:
        """Batched act calls; each item is a validated chunk or an error reason."""
        requests = [
            ActRequest(
                episode_id=s.spec.id,
                observation=s.obs,
                instruction=self.episode_instruction(s.spec),
                step=s.steps,
                seed=s.spec.seed,
                action_spec=spec,
                privileged={"actions": s.expert} if ctx.privileged else None,
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
            result = _call_with_timeout(model.act, batch, budget)
            for s in bslots:
                s.used += time.monotonic() - t0
            if isinstance(result, str):
                out.extend([result] * len(batch))
                continue
            if not isinstance(result, list | tuple) or len(result) != len(batch):
                got = len(result) if isinstance(result, list | tuple) else type(result).__name__
                out.extend([f"model returned {got} chunks for {len(batch)} requests"] * len(batch))
                continue
            out.extend(_validate(c, spec) for c in result)
        return out

    def _record(self, slot: _Slot, ctx: RolloutContext, error: str | None = None) -> dict[str, Any]:
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
        }
        if slot.record_video and slot.frames and ctx.artifacts_dir is not None:
            rec["video"] = self._write_video(slot, Path(ctx.artifacts_dir))
        return rec

    def _write_video(self, slot: _Slot, out_dir: Path) -> str:
        import imageio.v2 as imageio

        out_dir.mkdir(parents=True, exist_ok=True)
        name = f"{slot.spec.id.replace('/', '_')}.mp4"
        imageio.mimsave(out_dir / name, slot.frames, fps=self.config.video_fps, macro_block_size=1)
        return name


def _call_with_timeout(fn: Any, arg: Any, timeout: float) -> Any:
    """Call ``fn(arg)`` in a thread; return its result or an error reason string.

    A hung model cannot be killed from Python; its daemon thread is abandoned and the episodes
    of that batch are recorded as timed out.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = fn(arg)
        except BaseException as exc:  # noqa: BLE001 - reported on the episodes
            box["error"] = exc

    th = threading.Thread(target=run, daemon=True, name="policy-act")
    th.start()
    th.join(max(0.0, timeout))
    if th.is_alive():
        return f"model timed out: act() did not return within the {max(0.0, timeout):.1f} s left"
    if "error" in box:
        exc = box["error"]
        return f"model raised {type(exc).__name__}: {exc}"
    return box["result"]


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


class RobosuitePolicy(PolicyBenchmark):
    """robosuite Lift / Door / Stack / PickPlaceCan with a Panda (OSC_POSE, 7-D deltas)."""

    type_name = "robosuite"
    Config = RobosuiteConfig
    env_kind = "robosuite"

    def env_kwargs(self) -> dict[str, Any]:
        kw = super().env_kwargs()
        kw.update(task=self.config.task, construction_seed=self.config.construction_seed)
        if self.config.task == "Door":
            kw["use_latch"] = self.config.use_latch
        return kw

    def instruction(self) -> str:
        from cosmos3_eval.sim.envs.robosuite import INSTRUCTIONS

        return INSTRUCTIONS[self.config.task]


class GymMujocoPolicy(PolicyBenchmark):
    """gymnasium MuJoCo v5 tasks with documented success predicates (Reacher, Pusher)."""

    type_name = "gym-mujoco"
    Config = GymConfig

    @property
    def env_kind(self) -> str:  # type: ignore[override]
        return f"gym-{self.config.env}"

    def env_kwargs(self) -> dict[str, Any]:
        kw = super().env_kwargs()
        if self.config.success_threshold is not None:
            kw["success_threshold"] = self.config.success_threshold
        return kw


class PushBlockPolicy(PolicyBenchmark):
    """The project's own MJCF task: push a puck into a goal disc."""

    type_name = "push-block"
    Config = PushBlockConfig
    env_kind = "push-block"

    def env_kwargs(self) -> dict[str, Any]:
        kw = super().env_kwargs()
        kw["max_speed"] = self.config.max_speed
        return kw
