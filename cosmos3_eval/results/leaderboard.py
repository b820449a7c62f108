"""Leaderboard rows from verified runs: the schema, one row per model identity, ranks.

Everything here reads run directories only, through :mod:`cosmos3_eval.results.verify`
(which recomputes every metric from the hashed records); nothing is re-run. The tables
(Markdown / CSV / JSON) are written by :mod:`cosmos3_eval.results.board`.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosmos3_eval.api.config import StrictConfig, read_yaml, validate
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.errors import UserError
from cosmos3_eval.results.cost import cost_columns
from cosmos3_eval.results.jsonio import dumps
from cosmos3_eval.results.table import fit_table
from cosmos3_eval.results.verify import VerifiedRun, load_runs, scan_runs, verify_run

__all__ = ["VerifiedRun", "load_runs", "scan_runs", "verify_run"]  # re-exported for readers


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
        scale: Display multiplier; must be ``100 / max_value`` so that every output shows
            one 0-100 scale.
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
        if not math.isclose(ts.scale * ts.max_value, 100.0):
            raise UserError(f"{path}: task '{task}': scale must be 100 / max_value (0-100)")
    return schema


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
    """A built leaderboard: rows (one per model identity), the files written and notes.

    Attributes:
        rows: Rows of :func:`build_rows`.
        markdown: The Markdown table.
        files: Files written.
        schema: The schema used.
        notes: What was left out and why (skipped runs, tasks outside the schema).
        headers: Column names of the table (rank, model, status, overall, families, tasks).
        cells: The table's cells as plain text, one list per row.
        n_summary: How many leading columns are the summary (rank ... families): the terminal
            shows those, ``--wide`` adds the per-task columns.
    """

    rows: list[dict[str, Any]]
    markdown: str
    files: list[Path] = field(default_factory=list)
    schema: LeaderboardSchema | None = None
    notes: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    cells: list[list[Any]] = field(default_factory=list)
    n_summary: int = 4

    def terminal(self, wide: bool = False, width: int | None = None) -> str:
        """The table for a terminal, no wider than ``width`` (``$COLUMNS``, default 100)."""
        n = len(self.headers) - 3 if wide else self.n_summary  # never revision/commit/date
        rows = [c[:n] for c in self.cells]
        return fit_table(rows, self.headers[:n], width=width, wrap=["status"])


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


def _identity_key(run: VerifiedRun) -> str:
    """What makes two runs the same model: label, registry name, args, revision, weights."""
    ident = run.manifest["identity"].get("model") or {}
    return dumps({"label": run.label, **ident})


def _names(keys: dict[str, VerifiedRun]) -> dict[str, str]:
    """A row name per identity: the label, disambiguated by args / revision when shared."""
    by_label: dict[str, list[str]] = {}
    for key, run in keys.items():
        by_label.setdefault(run.label, []).append(key)
    out: dict[str, str] = {}
    for label, group in by_label.items():
        for key in group:
            if len(group) == 1:
                out[key] = label
                continue
            m = keys[key].manifest["identity"].get("model") or {}
            extra = [f"{k}={v}" for k, v in sorted((m.get("params") or {}).items())]
            extra += [f"@{m['revision']}"] if m.get("revision") else []
            out[key] = f"{label} [{', '.join(extra) or 'default'}]"
    # Still equal (same args, other weights): the identity hash tells them apart.
    counts: dict[str, int] = {}
    for name in out.values():
        counts[name] = counts.get(name, 0) + 1
    return {
        k: (f"{n} #{hashlib.sha256(k.encode()).hexdigest()[:8]}" if counts[n] > 1 else n)
        for k, n in out.items()
    }


def build_rows(runs: list[VerifiedRun], schema: LeaderboardSchema) -> list[dict[str, Any]]:
    """One row per model identity: main metric per task, family aggregates, overall, rank.

    Runs of one label with other args (``oracle`` vs ``oracle degrade=0.1``), revision or
    weights are separate rows, never merged. Only a row covering every family of the schema
    (weight > 0) gets an overall score and is ranked (``status`` ``"ranked"``); the others
    are ``"partial"`` (family scores only); a privileged model (a built-in oracle) is a
    ``"reference"`` row outside the ranking.
    """
    by_key: dict[str, dict[str, VerifiedRun]] = {}
    for run in runs:
        slot = by_key.setdefault(_identity_key(run), {})
        prev = slot.get(run.task)
        # Keep the larger / newer run when one identity has several runs of one task.
        key = (run.metrics.get("n_samples", 0), run.manifest.get("finished_at", ""))
        if prev is None or key > (
            prev.metrics.get("n_samples", 0),
            prev.manifest.get("finished_at", ""),
        ):
            slot[run.task] = run
    names = _names({k: next(iter(v.values())) for k, v in by_key.items()})
    needed = [f for f, fs in schema.families.items() if fs.weight > 0]
    rows = []
    for key, tasks in by_key.items():
        cells: dict[str, dict[str, Any]] = {}
        for task, run in tasks.items():
            metric = (
                schema.tasks[task].metric if task in schema.tasks else run.metrics["main_metric"]
            )
            mv = run.metrics["metrics"].get(metric) or {}
            cost = cost_columns(run.path)
            cells[task] = {
                "value": mv.get("value"),
                "stderr": mv.get("stderr"),
                "ci95": mv.get("ci95"),
                "n": mv.get("n"),
                "run_id": run.manifest.get("run_id"),
                "latency_p50_s": cost.get("latency_p50_s"),
                "cost_per_sample": cost.get("cost_per_sample"),
            }
        fams = _family_scores(schema, cells)
        missing = [f for f in needed if fams.get(f) is None]
        overall = None
        if not missing:
            weighted = [(schema.families[f].weight, fams[f]) for f in needed]
            wsum = sum(w for w, _ in weighted)
            mean = sum(w * s[0] for w, s in weighted if s) / wsum
            se = math.sqrt(sum((w * s[1]) ** 2 for w, s in weighted if s)) / wsum
            overall = (mean, se)
        any_run = next(iter(tasks.values()))
        code = any_run.manifest.get("code", {})
        ident = any_run.manifest["identity"].get("model") or {}
        status = "reference" if any(r.privileged for r in tasks.values()) else "ranked"
        rows.append(
            {
                "model": names[key],
                "label": any_run.label,
                "model_name": ident.get("name", ""),
                "params": ident.get("params") or {},
                "revision": ident.get("revision", ""),
                "cells": cells,
                "families": fams,
                "missing_families": missing,
                "overall": overall,
                "status": "partial" if missing else status,
                "run_ids": sorted(c["run_id"] for c in cells.values() if c["run_id"]),
                "commit": (code.get("git_commit") or code.get("commit") or "")[:10]
                + ("+dirty" if code.get("dirty") else ""),
                "date": max((r.manifest.get("finished_at") or "") for r in tasks.values()),
            }
        )
    return rank_rows(rows)


RANK_RULE = (
    "Only models that ran every family are ranked on the overall score; ranks are "
    "competition-style (1, 1, 3): walking down by overall score, a model shares the rank of "
    "the first model of the current group while their 95 % CIs overlap, and otherwise "
    "starts a new group ranked 1 + the number of models above it. Reference rows "
    "(privileged oracles) and partial rows are not ranked."
)


def rank_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rank the ``"ranked"`` rows by :data:`RANK_RULE`; order: ranked, reference, partial."""

    def bounds(r: dict[str, Any]) -> tuple[float, float]:
        m, se = r["overall"]
        return (m - 1.96 * se, m + 1.96 * se)

    order = {"ranked": 0, "reference": 1, "partial": 2}
    rows = sorted(
        rows,
        key=lambda r: (order[r["status"]], -(r["overall"] or (-math.inf, 0))[0], r["model"]),
    )
    leader: dict[str, Any] | None = None
    for i, r in enumerate(rows):
        if r["status"] != "ranked":
            r["rank"] = None
            continue
        # Overlap with the group's first model (not the previous one): ties stay transitive.
        if leader is None or bounds(r)[1] < bounds(leader)[0]:
            leader, leader_rank = r, i + 1
        r["rank"] = leader_rank
    return rows


def _fmt_se(v: tuple[float, float] | None, scale: float) -> str:
    if v is None:
        return "-"
    return f"{v[0] * scale:.1f} ± {v[1] * scale:.1f}"


def _task_order(schema: LeaderboardSchema) -> Any:
    order = {t: i for i, t in enumerate(schema.tasks)}
    return lambda t: (order.get(t, len(order)), t)
