"""``cosmos3-eval report``: a self-contained static HTML site from run directories.

The site is ``index.html`` plus ``plots/`` (matplotlib PNGs) and ``media/`` (artifacts copied
from the runs), all referenced by relative URLs, so the directory can be served or zipped as
is. It reads run directories only (verified as the leaderboard verifies them) and never
re-runs anything.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cosmos3_eval.report.html import (
    TABLE_NOTE,
    esc,
    filters,
    leaderboard_table,
    page,
    present_tasks,
    task_display,
    url,
)
from cosmos3_eval.report.plots import Bar, bar_chart, sweep_chart
from cosmos3_eval.report.sweep import find_sweeps, run_label
from cosmos3_eval.results.leaderboard import (
    LeaderboardSchema,
    VerifiedRun,
    build_rows,
    load_runs,
    load_schema,
)
from cosmos3_eval.results.rundir import RunDir

IMAGE_SUFFIXES = frozenset({".png", ".gif", ".jpg", ".jpeg", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".webm"})
_ARTIFACT_KEYS = ("artifact", "video")


def _slug(text: str) -> str:
    """A file-name-safe, collision-free name for ``text`` (readable prefix + hash)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:40].strip("._") or "x"
    return f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def _artifact_names(record: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for key in _ARTIFACT_KEYS:
        value = record.get(key)
        items = value if isinstance(value, list) else [value]
        names += [v for v in items if isinstance(v, str) and v]
    return names


def copy_artifact(run_path: Path, name: str, dest_dir: Path) -> Path | None:
    """Copy ``<run>/artifacts/<name>`` into ``dest_dir``; refuse names that leave artifacts/.

    A record is data, not an instruction: a tampered ``"../../secret"`` must not copy files
    from elsewhere on disk into a published site.

    Returns:
        The copied file, or ``None`` if the name is unsafe or the file is missing.
    """
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        return None
    root = (run_path / "artifacts").resolve()
    src = (root / rel).resolve()
    if not src.is_relative_to(root) or not src.is_file():
        return None
    dst = dest_dir / "_".join(rel.parts)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def _media_html(site_root: Path, file: Path) -> str:
    rel = file.relative_to(site_root).as_posix()
    suffix = file.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return f'<img src="{url(rel)}" alt="{esc(file.name)}" loading="eager">'
    if suffix in VIDEO_SUFFIXES:
        return f'<video src="{url(rel)}" controls muted loop preload="metadata"></video>'
    return f'<a href="{url(rel)}">{esc(file.name)}</a>'


def _text(value: Any) -> str:
    """A record field as display text (strings as is, anything else as compact JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _answer_text(output: Any) -> tuple[str | None, str | None]:
    """(model's answer text, extracted answer) from a QA record's ``output``."""
    if isinstance(output, dict):
        text = output.get("text")
        extracted = output.get("extracted")
        return (
            None if text is None else _text(text),
            None if extracted is None else str(extracted),
        )
    if output is None:
        return None, None
    return _text(output), None


def card(record: dict[str, Any], metric: str, media: list[str]) -> str:
    """One gallery card: media, then question / truth / answer / verdict, all escaped.

    Args:
        record: A ``samples.jsonl`` record.
        metric: The main metric (its score is the verdict).
        media: Ready HTML for the record's media (from :func:`_media_html`).
    """
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    parts = list(media)
    parts.append(
        f'<div class="sub">{esc(record.get("id"))} · {esc(record.get("category", ""))} · '
        f"seed {esc(record.get('seed'))}</div>"
    )
    for key in ("prompt", "instruction", "question"):
        if data.get(key):
            parts.append(f"<div><b>{key}:</b> {esc(_text(data[key]))}</div>")
    choices = data.get("choices")
    if isinstance(choices, list) and choices:
        items = "".join(
            f"<li>{esc(chr(ord('A') + i))}. {esc(_text(c))}</li>" for i, c in enumerate(choices)
        )
        parts.append(
            f'<ol type="A" style="margin:0;padding-left:1.2em;list-style:none">{items}</ol>'
        )
    if "answer" in data:
        parts.append(
            f'<div><b>truth:</b> <span class="truth">{esc(_text(data["answer"]))}</span></div>'
        )
    text, extracted = _answer_text(record.get("output"))
    if text is not None and ("question" in data or "answer" in data):
        ext = f' <span class="sub">(read as {esc(extracted)})</span>' if extracted else ""
        parts.append(f'<div><b>model:</b> <span class="answer">{esc(text)}</span>{ext}</div>')
    if record.get("error"):
        parts.append(f'<div class="err">error: {esc(record["error"])}</div>')
    else:
        scores = record.get("scores") or {}
        value = scores.get(metric)
        if value is not None:
            good, bad = ("correct", "wrong") if "acc" in metric else ("pass", "fail")
            verdict = (
                f'<span class="ok">{good}</span>' if value == 1.0 else
                f'<span class="bad">{bad}</span>' if value == 0.0 else esc(f"{value:.4g}")
            )  # fmt: skip
            parts.append(f"<div><b>{esc(metric)}:</b> {verdict}</div>")
        reason = (record.get("reasons") or {}).get(metric)
        if reason:
            parts.append(f'<div class="sub">{esc(reason)}</div>')
        others = {k: v for k, v in scores.items() if k != metric and isinstance(v, (int, float))}
        if others:
            parts.append(
                '<div class="sub">'
                + ", ".join(f"{esc(k)}={esc(f'{v:.4g}')}" for k, v in sorted(others.items()))
                + "</div>"
            )
    return '<div class="card">' + "".join(parts) + "</div>"


def _pick_records(run: VerifiedRun, size: int) -> list[dict[str, Any]]:
    """Up to ``size`` records for the gallery: those with media first, then the rest.

    Streams ``samples.jsonl`` and stops as soon as it has enough, so memory stays flat.
    """
    with_media: list[dict[str, Any]] = []
    without: list[dict[str, Any]] = []
    for rec in RunDir(run.path).records():
        if _artifact_names(rec):
            if len(with_media) < size:
                with_media.append(rec)
        elif len(without) < size:
            without.append(rec)
        if len(with_media) >= size:
            break
    chosen = (with_media + without)[:size]
    return sorted(chosen, key=lambda r: (r.get("index", 0), str(r.get("id"))))


def gallery(run: VerifiedRun, site: Path, schema: LeaderboardSchema, size: int) -> str:
    """A run's gallery section (``data-task`` / ``data-model`` for the filters)."""
    metric = (
        schema.tasks[run.task].metric if run.task in schema.tasks else run.metrics["main_metric"]
    )
    dest = site / "media" / _slug(run.path.name)
    cards = []
    for rec in _pick_records(run, size):
        media = []
        for name in _artifact_names(rec):
            copied = copy_artifact(run.path, name, dest)
            media.append(_media_html(site, copied) if copied else
                         f'<div class="err">missing artifact {esc(name)}</div>')  # fmt: skip
        cards.append(card(rec, metric, media))
    mv = run.metrics["metrics"].get(metric) or {}
    model = (run.manifest.get("model") or {}).get("name", "")
    summary = f"{metric} = {mv['value']:.4g}" if mv.get("value") is not None else f"{metric} = -"
    if mv.get("ci95"):
        summary += f" [{mv['ci95'][0]:.4g}, {mv['ci95'][1]:.4g}]"
    summary += f", n = {run.metrics.get('n_samples')}, errors = {run.metrics.get('n_errors')}"
    return (
        f'<section class="gallery" data-task="{esc(run.task)}" data-model="{esc(run.label)}">'
        f"<h3>{esc(task_display(run.task, schema))} · {esc(run_label(run))} "
        f'<span class="sub">(model {esc(model)}, run {esc(run.manifest.get("run_id"))})</span></h3>'
        f'<p class="sub">{esc(summary)}</p>'
        f'<div class="cards">{"".join(cards) or "<p class=sub>no records</p>"}</div></section>'
    )


@dataclass(frozen=True)
class _Figure:
    path: Path
    caption: str
    tasks: tuple[str, ...]


def _family_figures(
    rows: list[dict[str, Any]], schema: LeaderboardSchema, site: Path, display: dict[str, str]
) -> list[_Figure]:

    tasks = present_tasks(rows, schema)
    by_family: dict[str, list[str]] = {}
    for t in tasks:
        by_family.setdefault(schema.tasks[t].family if t in schema.tasks else "other", []).append(t)
    figures = []
    for fam, fam_tasks in by_family.items():
        groups: dict[str, list[Any]] = {}
        for t in fam_tasks:
            scale = schema.tasks[t].scale if t in schema.tasks else 1.0
            bars = []
            for r in rows:
                c = r["cells"].get(t)
                if not c or c["value"] is None:
                    continue
                ci = c["ci95"]
                bars.append(
                    Bar(
                        display.get(r["model"], r["model"]),
                        c["value"] * scale,
                        (ci[0] * scale, ci[1] * scale) if ci else None,
                    )
                )
            groups[task_display(t, schema)] = bars
        name = schema.families[fam].display if fam in schema.families else fam
        path = bar_chart(
            groups, name, "main metric (95 % CI)", site / "plots" / f"family-{_slug(fam)}.png"
        )
        figures.append(_Figure(path, f"{name}: main metric per task, 95 % CI", tuple(fam_tasks)))
    return figures


def _sweep_figures(runs: list[VerifiedRun], schema: LeaderboardSchema, site: Path) -> list[_Figure]:

    metric_of = {t: ts.metric for t, ts in schema.tasks.items()}
    by_task: dict[str, list[Any]] = {}
    for sw in find_sweeps(runs, metric_of):
        by_task.setdefault(sw.task, []).append(sw)
    figures = []
    for task, sweeps in by_task.items():
        scale = schema.tasks[task].scale if task in schema.tasks else 1.0
        title = f"{task_display(task, schema)}: {sweeps[0].metric} vs step"
        path = sweep_chart(sweeps, title, scale, site / "plots" / f"sweep-{_slug(task)}.png")
        caption = f"{title} ({', '.join(s.series for s in sweeps)}), 95 % CI bands"
        figures.append(_Figure(path, caption, (task,)))
    return figures


def _figure_html(fig: _Figure, site: Path) -> str:
    rel = fig.path.relative_to(site).as_posix()
    return (
        f'<figure data-tasks="{esc(" ".join(fig.tasks))}"><img src="{url(rel)}" '
        f'alt="{esc(fig.caption)}"><figcaption class="sub">{esc(fig.caption)}</figcaption></figure>'
    )


def write_report(
    results: list[Path],
    out: Path,
    *,
    schema_path: Path | None = None,
    gallery_size: int = 12,
) -> Path:
    """Write the static HTML report of the runs under ``results``.

    The site has the leaderboard table, per-family bar charts with 95 % CI error bars,
    checkpoint-sweep plots (main metric vs training step with CI bands, when runs of one task
    differ by step), and a sample gallery per run, with task and model filters.

    Args:
        results: Results directories or run directories (each run is verified first).
        out: Output directory (created; files in it are overwritten).
        schema_path: Leaderboard schema (default ``leaderboard/schema.yaml``).
        gallery_size: Records shown per run (those with media first).

    Returns:
        The path of ``index.html``.

    Raises:
        DataError: A run is tampered, incomplete or of another schema version (the message
            names the file), or there are no runs.
    """
    schema = load_schema(schema_path)
    runs = load_runs(results)
    rows = build_rows(runs, schema)
    out.mkdir(parents=True, exist_ok=True)
    display: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    for run in runs:
        display[run.label] = run_label(run)
        names.setdefault(run.label, set()).add(
            str((run.manifest.get("model") or {}).get("name", ""))
        )
    subtitle = {
        k: "model " + ", ".join(sorted(v)) for k, v in names.items() if v != {display.get(k, k)}
    }
    tasks = present_tasks(rows, schema)
    parts = [
        filters(
            [(t, task_display(t, schema)) for t in tasks],
            [(r["model"], display.get(r["model"], r["model"])) for r in rows],
        ),
        "<h2>Leaderboard</h2>",
        f'<p class="sub">{esc(TABLE_NOTE)}</p>',
        leaderboard_table(rows, schema, display, subtitle),
        "<h2>Families</h2>",
        '<div class="charts">'
        + "".join(_figure_html(f, out) for f in _family_figures(rows, schema, out, display))
        + "</div>",
    ]
    sweeps = _sweep_figures(runs, schema, out)
    if sweeps:
        parts += [
            "<h2>Checkpoint sweeps</h2>",
            '<div class="sweeps">' + "".join(_figure_html(f, out) for f in sweeps) + "</div>",
        ]
    parts.append("<h2>Samples</h2>")
    order = {t: i for i, t in enumerate(tasks)}
    for run in sorted(runs, key=lambda r: (order.get(r.task, len(order)), r.task, r.label)):
        parts.append(gallery(run, out, schema, gallery_size))
    index = out / "index.html"
    index.write_text(page(f"{schema.title} — report", "\n".join(parts)), encoding="utf-8")
    return index
