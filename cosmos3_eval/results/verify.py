"""Verify a run directory before anything shows or compares it: results are recomputed.

A run is accepted only if

* its manifest is of the current schema and says the run completed (a failed or running run
  is a :class:`RunSkipped`, which ``leaderboard`` / ``report`` skip with a note unless
  ``--strict``);
* ``samples.jsonl`` has the sha256 the manifest records;
* the manifest has the checksum the runner wrote when the run completed
  (:func:`~cosmos3_eval.results.rundir.manifest_digest`), so an edited label, model name,
  revision, task id / version or profile is refused; its fingerprint is the hash of its
  identity and the fields shown (model name / revision, task id / config) agree with it;
* every metric of ``metrics.json`` equals what the records give
  (:func:`~cosmos3_eval.scorers.recompute.check_metrics`); a disagreement names the file and
  the metric; and ``metrics.json`` has the sha256 the manifest records (so even the specs the
  recomputation reads cannot be edited).

Readers then use the recomputed values, never the file's.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosmos3_eval.api.records import SCHEMA_VERSION, Manifest, MetricsFile, parse
from cosmos3_eval.errors import DataError
from cosmos3_eval.results.jsonio import file_sha256
from cosmos3_eval.results.rundir import (
    MANIFEST,
    METRICS,
    RunDir,
    find_runs,
    fingerprint_of,
    manifest_digest,
)
from cosmos3_eval.scorers.recompute import check_metrics


class RunSkipped(DataError):
    """A run that did not complete (failed or still running): skippable, not tampered."""


@dataclass(frozen=True)
class VerifiedRun:
    """A run directory that passed the integrity checks, with its parsed files.

    Attributes:
        path: The run directory.
        manifest: ``manifest.json`` as validated (JSON dict).
        metrics: ``metrics.json`` with every metric replaced by its recomputed value.
    """

    path: Path
    manifest: dict[str, Any]
    metrics: dict[str, Any]

    @functools.cached_property
    def manifest_file(self) -> Manifest:
        """The typed manifest."""
        return parse(Manifest, self.manifest, str(self.path / MANIFEST))

    @functools.cached_property
    def metrics_file(self) -> MetricsFile:
        """The typed (recomputed) metrics, with each metric's level, direction and on_error."""
        return parse(MetricsFile, self.metrics, str(self.path / METRICS))

    @property
    def task(self) -> str:
        return self.manifest["task"]["id"]

    @property
    def label(self) -> str:
        """The model label the run was made under (covered by the manifest checksum)."""
        return self.manifest.get("label") or self.path.name.rsplit("__", 1)[0]

    @property
    def privileged(self) -> bool:
        """Whether the registry granted the model privileged ground truth (an oracle)."""
        model = self.manifest.get("model") or {}
        return bool(self.manifest.get("privileged") or model.get("privileged"))


def _check_identity(run: RunDir, m: Manifest) -> None:
    """The manifest's checksum and the agreement of the shown fields with the identity."""
    where = run.manifest_path
    raw = run.manifest()
    if not m.manifest_sha256:
        raise DataError(f"{where}: no manifest checksum (made by an older version?); re-run")
    if manifest_digest(raw) != m.manifest_sha256:
        raise DataError(f"{where}: manifest checksum does not match its content (edited?)")
    if fingerprint_of(m.identity) != m.fingerprint:
        raise DataError(f"{where}: fingerprint does not match the identity (edited?)")
    ident_model = m.identity.get("model") or {}
    shown = {
        "model.name": (m.model.get("name"), ident_model.get("name")),
        "model.revision": (m.model.get("revision"), ident_model.get("revision")),
        "task.id": (m.task.id, m.identity.get("task")),
        "task.config": (m.task.config, m.identity.get("task_config")),
    }
    for name, (seen, truth) in shown.items():
        if seen != truth:
            raise DataError(f"{where}: {name} {seen!r} disagrees with the identity {truth!r}")


def verify_run(run: RunDir) -> VerifiedRun:
    """Check a run's integrity and recompute its metrics.

    Raises:
        RunSkipped: The run did not complete.
        DataError: Anything else is wrong; the message names the file (and the metric).
    """
    raw = run.manifest()
    # The version is checked first: an old run fails on it, not on a field it lacks.
    if isinstance(raw, dict) and raw.get("schema_version") != SCHEMA_VERSION:
        raise DataError(
            f"{run.manifest_path}: schema version {raw.get('schema_version')} != {SCHEMA_VERSION}"
        )
    m = run.typed_manifest()
    if m.status != "complete":
        raise RunSkipped(f"{run.manifest_path}: run is incomplete (status {m.status!r})")
    expected = m.samples_sha256
    if not expected or not run.samples_path.is_file():
        raise DataError(f"{run.samples_path}: missing, or no checksum in the manifest")
    if file_sha256(run.samples_path) != expected:
        raise DataError(f"{run.samples_path}: sha256 does not match the manifest (tampered?)")
    metrics = run.metrics()
    _check_identity(run, m)
    header = {"task": m.task.id, "task_version": m.task.version, "main_metric": m.task.main_metric}
    for key, want in header.items():
        if getattr(metrics, key) != want:
            raise DataError(f"{run.metrics_path}: {key} {getattr(metrics, key)!r} != {want!r}")
    n = int(m.plan.get("n", m.n_samples or 0))
    records = sorted(
        (r for r in run.records() if r.get("index", 0) < n), key=lambda r: r.get("index", 0)
    )
    recomputed, bad = check_metrics(m.task.id, metrics.metrics, records, metrics.stopping)
    if bad:
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        raise DataError(f"{run.metrics_path}: {bad[0]}{more}; refusing a tampered file")
    if len(records) != metrics.n_samples or m.metrics_sha256 != file_sha256(run.metrics_path):
        raise DataError(f"{run.metrics_path}: sha256 does not match the manifest (tampered?)")
    trusted = metrics.model_dump(mode="json", by_alias=True, exclude_unset=True)
    for name, value in recomputed.items():
        trusted["metrics"][name].update(value.to_json())
    verified = VerifiedRun(
        run.path, m.model_dump(mode="json", by_alias=True, exclude_unset=True), trusted
    )
    verified.__dict__.update(manifest_file=m)
    return verified


@dataclass
class RunScan:
    """The verified runs under some paths, and the runs skipped (with why)."""

    runs: list[VerifiedRun]
    skipped: list[str] = field(default_factory=list)


def scan_runs(paths: list[Path], strict: bool = False) -> RunScan:
    """Find and verify every run directory under ``paths``.

    Args:
        paths: Results directories or run directories.
        strict: Refuse (raise) a failed or incomplete run instead of skipping it.

    Raises:
        DataError: A tampered run, a skipped one under ``strict``, or no runs at all.
    """
    scan = RunScan([])
    for r in find_runs(paths):
        try:
            scan.runs.append(verify_run(r))
        except RunSkipped as exc:
            if strict:
                raise
            scan.skipped.append(str(exc))
    if not scan.runs:
        extra = f" ({len(scan.skipped)} incomplete skipped)" if scan.skipped else ""
        raise DataError(f"no complete runs under {', '.join(str(p) for p in paths)}{extra}")
    return scan


def load_runs(paths: list[Path], strict: bool = False) -> list[VerifiedRun]:
    """:func:`scan_runs`, with a note on stderr for every skipped run."""
    scan = scan_runs(paths, strict)
    for note in scan.skipped:
        print(f"skipped: {note}", file=sys.stderr)
    return scan.runs
