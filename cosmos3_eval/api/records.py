"""Typed, versioned records of a run directory: sample records, ``metrics.json``, manifest.

Writers still build plain dicts and write them as canonical JSON (the bytes of every file are
unchanged by these models); every reader loads through :func:`parse`, so a malformed file is
one :class:`~cosmos3_eval.errors.DataError` line naming the file (and line) and the field.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cosmos3_eval.errors import DataError

SCHEMA_VERSION = 2
"""Version of the run-directory format; bump on any incompatible change.

2: metrics.json entries carry their spec's ``level`` / ``on_error`` (``source`` and
``stratify_by`` for corpus-level metrics) and metrics.json its ``schema_version``.
"""


class _Record(BaseModel):
    # Unknown keys are errors: a typo or a foreign file is caught at the reader.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SampleRecord(_Record):
    """One line of ``samples.jsonl``: a static sample or a closed-loop episode.

    Attributes:
        id: Stable sample / episode id (``<task>/<index>``).
        index: Sample index in the task.
        seed: Per-sample seed derived from (task, index, base seed).
        category: Breakdown group (``"all"`` when the task has none).
        scores: Score name -> value (empty for an errored sample).
        error: Why the sample failed (``None``: it was scored).
        data: Static: the sample's data (prompt, spec, answer, ...).
        reasons: Static: score name -> why.
        output: Static: the benchmark's summary of the model output.
        latency_s: Model seconds charged to the sample: static, its share of its batch call;
            closed loop, the sum over its ``act`` calls of call time / batch size.
        call_s: Duration of its model call (closed loop: mean over its ``act`` calls).
        artifact: Static: media file name under ``artifacts/``.
        artifact_error: Static: why saving the media failed.
        steps: Closed loop: env steps taken.
        success: Closed loop: ``info["is_success"]`` seen before the end.
        termination: Closed loop: how the episode ended.
        model_calls: Closed loop: ``act`` calls made for the episode.
        return_: Closed loop: the summed reward (JSON key ``return``).
        sim_s: Closed loop: seconds its env worker spent simulating (resets and chunks).
        video: Closed loop: episode video under ``artifacts/``.
    """

    id: str
    index: int
    seed: int
    category: str = "all"
    scores: dict[str, float | None] = Field(default_factory=dict)
    error: str | None = None
    data: dict[str, Any] | None = None
    reasons: dict[str, str] | None = None
    output: Any = None
    latency_s: float | None = None
    call_s: float | None = None
    artifact: str | None = None
    artifact_error: str | None = None
    steps: int | None = None
    success: bool | None = None
    termination: Literal["success", "horizon", "error"] | None = None
    model_calls: int | None = None
    return_: float | None = Field(default=None, alias="return")
    sim_s: float | None = None
    video: str | None = None


TIMING_FIELDS = ("latency_s", "call_s", "sim_s")
"""Record fields that measure time: they differ between identical runs, nothing else does."""


class MetricEntry(_Record):
    """One metric of ``metrics.json`` with the spec readers need to recompute it."""

    value: float | None
    stderr: float | None
    ci95: tuple[float, float] | None
    n: int
    higher_is_better: bool = True
    level: Literal["sample", "corpus"]
    on_error: float | None
    source: str | None = None
    stratify_by: Literal["category"] | None = None


class MetricsFile(_Record):
    """``metrics.json``."""

    schema_version: int
    task: str
    task_version: int
    model: str
    main_metric: str
    n_samples: int
    n_errors: int
    metrics: dict[str, MetricEntry]
    stopping: dict[str, Any] | None = None


class ManifestTask(_Record):
    """The task section of the manifest."""

    id: str
    version: int
    type: str
    capability: str
    main_metric: str
    config: dict[str, Any]
    provenance: dict[str, Any]


class ManifestSeal(_Record):
    """The seal section of a sealed run's manifest (never the secret itself).

    Attributes:
        commitment: sha256 of the secret under a domain tag; two sealed runs are paired only
            when their commitments are equal.
        scheme: The keyed derivation (:data:`cosmos3_eval.api.seal.SEAL_SCHEME`).
    """

    commitment: str
    scheme: str


class Manifest(_Record):
    """``manifest.json``: identity, provenance and status of one run.

    ``privileged`` marks a reference run of a built-in oracle (it read ground truth);
    ``seal`` is set for sealed runs (``None``: open, publicly reproducible).
    """

    schema_version: int
    created_at: str
    label: str
    model: dict[str, Any]
    task: ManifestTask
    seeds: dict[str, Any]
    plan: dict[str, Any]
    code: dict[str, Any]
    packages: dict[str, str | None]
    environment: dict[str, Any]
    argv: list[str]
    privileged: bool = False
    seal: ManifestSeal | None = None
    fingerprint: str
    identity: dict[str, Any]
    run_id: str
    status: Literal["running", "complete", "failed"]
    finished_at: str | None = None
    n_samples: int | None = None
    n_errors: int | None = None
    samples_sha256: str | None = None
    failure: str | None = None
    profile: dict[str, Any] | None = None
    metrics_sha256: str | None = None
    manifest_sha256: str | None = None
    cost: dict[str, Any] | None = None
    stopping: dict[str, Any] | None = None


_M = TypeVar("_M", bound=BaseModel)


def parse(model: type[_M], data: Any, where: str) -> _M:
    """Validate ``data`` as ``model``; a mismatch is one line naming ``where`` and the field.

    Args:
        model: The record type.
        data: Parsed JSON.
        where: File (and ``:line``) for the message.

    Raises:
        DataError: The data do not fit the record.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DataError(f"{where}: field '{field}': {err['msg']}{more}") from None
