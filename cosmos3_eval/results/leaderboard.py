"""Results -> leaderboard tables, and paired comparison of two result sets (the CI gate).

Everything here reads run directories only; nothing is re-run. A run is accepted only if its
manifest says it completed, its schema version is current and the sha256 of ``samples.jsonl``
matches the manifest; anything else is refused with a line naming the file.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosmos3_eval.api.config import StrictConfig, read_yaml, validate
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.errors import DataError, UserError
from cosmos3_eval.api.records import SCHEMA_VERSION, Manifest, MetricsFile, parse
from cosmos3_eval.results.rundir import MANIFEST, METRICS, RunDir, file_sha256, find_runs


class FamilySchema(StrictConfig):
    """A benchmark family: display name and weight in the overall score."""

    display: str
    weight: float = 1.0


class TaskSchema(StrictConfig):
    """A leaderboard column: one task's main metric.

    Attributes:
        family: Family key.
        metric: Metric name in the run's metrics.json.
        display: Column title.
        higher_is_better: Direction (lower-is-better metrics enter aggregates as 1 - v).
        scale: Display multiplier (100 shows a 0-1 accuracy as a percentage).
        max_value: Full scale of the metric; aggregates use ``value / max_value`` in [0, 1].
    """

    family: str
    metric: str
    display: str
    higher_is_better: bool = True
    scale: float = 1.0
    max_value: float = 1.0


class LeaderboardSchema(StrictConfig):
    """``leaderboard/schema.yaml``."""

    schema_version: int
    title: str
    families: dict[str, FamilySchema]
    tasks: dict[str, TaskSchema]


def load_schema(path: Path | None = None) -> LeaderboardSchema:
    """Load and validate the leaderboard schema (default ``leaderboard/schema.yaml``)."""
    path = path or data_path("leaderboard", "schema.yaml")
    schema = validate(LeaderboardSchema, read_yaml(path), str(path))
    for task, ts in schema.tasks.items():
        if ts.family not in schema.families:
            raise UserError(f"{path}: task '{task}' names unknown family '{ts.family}'")
    return schema


@dataclass(frozen=True)
class VerifiedRun:
    """A run directory that passed the integrity checks, with its parsed files.

    Attributes:
        path: The run directory.
        manifest: ``manifest.json`` as validated (JSON dict).
        metrics: ``metrics.json`` as validated (JSON dict).
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
        """The typed metrics, with each metric's level, direction and on_error."""
        return parse(MetricsFile, self.metrics, str(self.path / METRICS))

    @property
    def task(self) -> str:
        return self.manifest["task"]["id"]

    @property
    def label(self) -> str:
        """The model label the run was made under (the raw string, not the dir name)."""
        return self.manifest.get("label") or self.path.name.rsplit("__", 1)[0]


def verify_run(run: RunDir) -> VerifiedRun:
    """Check a run's integrity; raise :class:`DataError` naming the offending file."""
    raw = run.manifest()
    # The version is checked first: an old run fails on it, not on a field it lacks.
    if isinstance(raw, dict) and raw.get("schema_version") != SCHEMA_VERSION:
        raise DataError(
            f"{run.manifest_path}: schema version {raw.get('schema_version')} != {SCHEMA_VERSION}"
        )
    m = run.typed_manifest()
    if m.status != "complete":
        raise DataError(f"{run.manifest_path}: run is incomplete (status {m.status!r})")
    expected = m.samples_sha256
    if not expected or not run.samples_path.is_file():
        raise DataError(f"{run.samples_path}: missing, or no checksum in the manifest")
    if file_sha256(run.samples_path) != expected:
        raise DataError(f"{run.samples_path}: sha256 does not match the manifest (tampered?)")
    metrics = run.metrics()
    verified = VerifiedRun(
        run.path,
        m.model_dump(mode="json", by_alias=True, exclude_unset=True),
        metrics.model_dump(mode="json", by_alias=True, exclude_unset=True),
    )
    # Already validated: seed the typed views instead of parsing the files twice.
    verified.__dict__.update(manifest_file=m, metrics_file=metrics)
    return verified


def load_runs(paths: list[Path]) -> list[VerifiedRun]:
    """Find and verify every run directory under ``paths``."""
    runs = [verify_run(r) for r in find_runs(paths)]
    if not runs:
        raise DataError(f"no run directories under {', '.join(str(p) for p in paths)}")
    return runs


def _fmt(value: float | None, ci: list[float] | None, scale: float) -> str:
    if value is None:
        return "-"
    if not ci:
        return f"{value * scale:.1f}"
    lo, hi = (value - ci[0]) * scale, (ci[1] - value) * scale
    if abs(hi - lo) <= 0.1 * max(hi, lo, 1e-9):
        return f"{value * scale:.1f} ± {(hi + lo) / 2:.1f}"
    # Asymmetric intervals (Wilson at 0 % / 100 %, skewed bootstraps) are shown as they are.
    return f"{value * scale:.1f} [{ci[0] * scale:.1f}, {ci[1] * scale:.1f}]"


@dataclass
class Leaderboard:
    """A built leaderboard: rows (one per model label) and the files written."""

    rows: list[dict[str, Any]]
    markdown: str
    files: list[Path] = field(default_factory=list)
    schema: LeaderboardSchema | None = None


def _family_scores(
    schema: LeaderboardSchema, cells: dict[str, dict[str, Any]]
) -> dict[str, tuple[float, float] | None]:
    """Family -> (mean main metric in [0, 1] higher-better, stderr) over its tasks present."""
    out: dict[str, tuple[float, float] | None] = {}
    for fam in schema.families:
        vals = []
        for task, ts in schema.tasks.items():
            if ts.family != fam or task not in cells or cells[task]["value"] is None:
                continue
            v = cells[task]["value"] / ts.max_value
            se = (cells[task]["stderr"] or 0.0) / ts.max_value
            vals.append((v if ts.higher_is_better else 1.0 - v, se))
        if vals:
            mean = sum(v for v, _ in vals) / len(vals)
            se = math.sqrt(sum(s * s for _, s in vals)) / len(vals)
            out[fam] = (mean, se)
        else:
            out[fam] = None
    return out


def build_rows(runs: list[VerifiedRun], schema: LeaderboardSchema) -> list[dict[str, Any]]:
    """One row per model label: main metric per task, family aggregates, overall, rank."""
    by_label: dict[str, dict[str, VerifiedRun]] = {}
    for run in runs:
        slot = by_label.setdefault(run.label, {})
        prev = slot.get(run.task)
        # Keep the larger / newer run when a label has several runs of one task.
        key = (run.metrics.get("n_samples", 0), run.manifest.get("finished_at", ""))
        if prev is None or key > (
            prev.metrics.get("n_samples", 0),
            prev.manifest.get("finished_at", ""),
        ):
            slot[run.task] = run
    rows = []
    for label, tasks in sorted(by_label.items()):
        cells: dict[str, dict[str, Any]] = {}
        for task, run in tasks.items():
            metric = (
                schema.tasks[task].metric if task in schema.tasks else run.metrics["main_metric"]
            )
            mv = run.metrics["metrics"].get(metric) or {}
            cells[task] = {
                "value": mv.get("value"),
                "stderr": mv.get("stderr"),
                "ci95": mv.get("ci95"),
                "n": mv.get("n"),
                "run_id": run.manifest.get("run_id"),
            }
        fams = _family_scores(schema, cells)
        weighted = [(schema.families[f].weight, s) for f, s in fams.items() if s is not None]
        overall = None
        if weighted:
            wsum = sum(w for w, _ in weighted)
            mean = sum(w * s[0] for w, s in weighted) / wsum
            se = math.sqrt(sum((w * s[1]) ** 2 for w, s in weighted)) / wsum
            overall = (mean, se)
        any_run = next(iter(tasks.values()))
        code = any_run.manifest.get("code", {})
        rows.append(
            {
                "model": label,
                "revision": any_run.manifest.get("model", {}).get("revision", ""),
                "cells": cells,
                "families": fams,
                "overall": overall,
                "run_ids": sorted(c["run_id"] for c in cells.values() if c["run_id"]),
                "commit": (code.get("git_commit") or code.get("commit") or "")[:10]
                + ("+dirty" if code.get("dirty") else ""),
                "date": max((r.manifest.get("finished_at") or "") for r in tasks.values()),
            }
        )
    _rank(rows)
    return rows


def _rank(rows: list[dict[str, Any]]) -> None:
    """Rank by overall score; a model shares a rank with every model its 95 % CI overlaps."""

    def bounds(r: dict[str, Any]) -> tuple[float, float]:
        if r["overall"] is None:
            return (-math.inf, -math.inf)
        m, se = r["overall"]
        return (m - 1.96 * se, m + 1.96 * se)

    rows.sort(key=lambda r: -(r["overall"][0] if r["overall"] else -math.inf))
    for r in rows:
        lo, hi = bounds(r)
        # Rank = 1 + number of models significantly better (their lower bound above our upper).
        r["rank"] = 1 + sum(1 for o in rows if o is not r and bounds(o)[0] > hi)


def build_leaderboard(
    results: list[Path], out: Path, schema_path: Path | None = None
) -> Leaderboard:
    """Read run directories, verify them and write LEADERBOARD.md / .csv / .json.

    Args:
        results: Results directories or run directories.
        out: Output directory.
        schema_path: Leaderboard schema (default ``leaderboard/schema.yaml``).
    """
    import json

    from tabulate import tabulate

    schema = load_schema(schema_path)
    runs = load_runs(results)
    rows = build_rows(runs, schema)
    present = sorted({t for r in rows for t in r["cells"]}, key=_task_order(schema))
    headers = ["rank", "model", "overall"]
    fams = [f for f in schema.families if any(r["families"].get(f) for r in rows)]
    headers += [schema.families[f].display for f in fams]
    headers += [schema.tasks[t].display if t in schema.tasks else t for t in present]
    headers += ["revision", "commit", "date"]
    runs_table = []
    table, csv_rows = [], []
    for r in rows:
        ov = r["overall"]
        line = [r["rank"], r["model"], _fmt_se(ov, 100)]
        line += [_fmt_se(r["families"].get(f), 100) for f in fams]
        for t in present:
            c = r["cells"].get(t)
            scale = schema.tasks[t].scale if t in schema.tasks else 1.0
            line.append(_fmt(c["value"], c["ci95"], scale) if c else "-")
        line += [r["revision"], r["commit"], r["date"]]
        table.append(line)
        for t in present:
            c = r["cells"].get(t)
            if c:
                runs_table.append([r["model"], t, c["run_id"], c["n"], r["commit"], r["date"]])
        flat: dict[str, Any] = {
            "rank": r["rank"],
            "model": r["model"],
            "overall": ov[0] if ov else None,
            "overall_stderr": ov[1] if ov else None,
        }
        for f in fams:
            s = r["families"].get(f)
            flat[f"family:{f}"] = s[0] if s else None
        for t in present:
            c = r["cells"].get(t) or {}
            flat[t] = c.get("value")
            ci = c.get("ci95") or [None, None]
            flat[f"{t}:ci_low"], flat[f"{t}:ci_high"], flat[f"{t}:n"] = ci[0], ci[1], c.get("n")
        flat.update(
            revision=r["revision"], run_ids=" ".join(r["run_ids"]), commit=r["commit"],
            date=r["date"],
        )  # fmt: skip
        csv_rows.append(flat)
    md_table = tabulate(table, headers=headers, tablefmt="github", disable_numparse=True)
    runs_md = tabulate(
        runs_table,
        headers=["model", "task", "run id", "n", "commit", "date"],
        tablefmt="github",
        disable_numparse=True,
    )
    markdown = (
        f"# {schema.title}\n\nMain metric per task with its 95 % CI (± half-width, or "
        "[low, high] when the interval is asymmetric). Overall and family scores are weighted "
        "means on a 0–100 scale (± 1 stderr); models whose overall CIs overlap share a rank."
        "\n\n" + md_table + "\n\n## Runs\n\n" + runs_md + "\n"
    )
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "LEADERBOARD.md", out / "leaderboard.csv", out / "leaderboard.json"]
    files[0].write_text(markdown)
    _write_csv(csv_rows, files[1])
    files[2].write_text(
        json.dumps({"title": schema.title, "rows": csv_rows}, indent=2, default=str) + "\n"
    )
    return Leaderboard(rows=rows, markdown=md_table, files=files, schema=schema)


def _fmt_se(v: tuple[float, float] | None, scale: float) -> str:
    if v is None:
        return "-"
    return f"{v[0] * scale:.1f} ± {v[1] * scale:.1f}"


def _task_order(schema: LeaderboardSchema) -> Any:
    order = {t: i for i, t in enumerate(schema.tasks)}
    return lambda t: (order.get(t, len(order)), t)


def _write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """Write ``rows`` as CSV, byte for byte as the former ``pandas.DataFrame.to_csv`` did.

    Columns are the keys in first-seen order; a missing, None or NaN value is empty; a column
    of numbers holding any float or any gap is written as floats (``40.0``), as pandas'
    float64 inference did, so published tables keep their exact form.
    """
    import csv

    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]

    def is_gap(v: Any) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    def is_number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    as_float = {}
    for c in columns:
        values = [row.get(c) for row in rows]
        present = [v for v in values if not is_gap(v)]
        as_float[c] = (
            bool(present)
            and all(is_number(v) for v in present)
            and (len(present) < len(values) or any(isinstance(v, float) for v in present))
        )

    def cell(c: str, v: Any) -> str:
        if is_gap(v):
            return ""
        return repr(float(v)) if as_float[c] else str(v)

    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell(c, row.get(c)) for c in columns] for row in rows)
