"""``cosmos3-eval report``: a self-contained static HTML site from run directories.

The site is ``index.html`` plus ``plots/`` (matplotlib PNGs) and ``media/`` (artifacts copied
from the runs), all referenced by relative URLs, so the directory can be served or zipped as
is. It reads run directories only (verified as the leaderboard verifies them) and never
re-runs anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cosmos3_eval.report.colours import colour_map
from cosmos3_eval.report.html import (
    TABLE_NOTE,
    esc,
    filters,
    leaderboard_table,
    page,
    present_tasks,
    provenance_table,
    search_text,
    section,
    swatch,
    task_display,
    url,
)
from cosmos3_eval.report.plots import Bar, bar_chart, sweep_chart
from cosmos3_eval.report.samples import gallery, side_by_side, slug
from cosmos3_eval.report.sweep import find_sweeps, run_label
from cosmos3_eval.results.leaderboard import (
    LeaderboardSchema,
    VerifiedRun,
    build_rows,
    load_runs,
    load_schema,
)


@dataclass(frozen=True)
class _Figure:
    path: Path
    caption: str
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class _Models:
    """How the report names and colours models: computed once, used by every view."""

    display: dict[str, str]  # run label -> label to show
    subtitle: dict[str, str]  # run label -> registry model name(s), when they differ
    colours: dict[str, str]  # run label -> colour


def _models(runs: list[VerifiedRun]) -> _Models:
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
    return _Models(display, subtitle, colour_map(display))


def _family_figures(
    rows: list[dict[str, Any]], schema: LeaderboardSchema, site: Path, models: _Models
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
                        models.display.get(r["model"], r["model"]),
                        c["value"] * scale,
                        (ci[0] * scale, ci[1] * scale) if ci else None,
                        models.colours.get(r["model"]),
                    )
                )
            groups[task_display(t, schema)] = bars
        name = schema.families[fam].display if fam in schema.families else fam
        path = bar_chart(
            groups, name, "main metric (95 % CI)", site / "plots" / f"family-{slug(fam)}.png"
        )
        figures.append(_Figure(path, f"{name}: main metric per task, 95 % CI", tuple(fam_tasks)))
    return figures


def _sweep_figures(
    runs: list[VerifiedRun], schema: LeaderboardSchema, site: Path, models: _Models
) -> list[_Figure]:

    metric_of = {t: ts.metric for t, ts in schema.tasks.items()}
    by_task: dict[str, list[Any]] = {}
    for sw in find_sweeps(runs, metric_of):
        by_task.setdefault(sw.task, []).append(sw)
    label_of = {run_label(r): r.label for r in runs}
    figures = []
    for task, sweeps in by_task.items():
        scale = schema.tasks[task].scale if task in schema.tasks else 1.0
        title = f"{task_display(task, schema)}: {sweeps[0].metric} vs step"
        # A series is drawn in the colour of its latest checkpoint's row in the table.
        colours = {
            sw.series: models.colours.get(label_of.get(sw.points[-1].label, ""), "")
            for sw in sweeps
        }
        path = sweep_chart(
            sweeps, title, scale, site / "plots" / f"sweep-{slug(task)}.png", colours
        )
        caption = f"{title} ({', '.join(s.series for s in sweeps)}), 95 % CI bands"
        figures.append(_Figure(path, caption, (task,)))
    return figures


def _figure_html(fig: _Figure, site: Path) -> str:
    rel = fig.path.relative_to(site).as_posix()
    return (
        f'<figure data-tasks="{esc(" ".join(fig.tasks))}"><img src="{url(rel)}" '
        f'alt="{esc(fig.caption)}"><figcaption class="sub">{esc(fig.caption)}</figcaption></figure>'
    )


def _legend(rows: list[dict[str, Any]], models: _Models) -> str:
    items = "".join(
        f'<span data-model="{esc(r["model"])}" data-search="{search_text(r["model"])}">'
        f"{swatch(models.colours.get(r['model']))}{esc(models.display.get(r['model'], r['model']))}"
        "</span>"
        for r in rows
    )
    return f'<div class="legend">{items}</div>'


def _compare_html(
    rows: list[dict[str, Any]],
    runs: list[VerifiedRun],
    schema: LeaderboardSchema,
    site: Path,
    models: _Models,
) -> str:
    """One collapsible group per task with the same samples side by side across models."""
    by_id = {r.manifest.get("run_id"): r for r in runs}
    groups = []
    for task in present_tasks(rows, schema):
        # The runs the leaderboard chose, in leaderboard order.
        chosen = [by_id[c["run_id"]] for r in rows
                  if (c := r["cells"].get(task)) and c.get("run_id") in by_id]  # fmt: skip
        if len(chosen) < 2:
            continue
        body = side_by_side(
            task, chosen, site, schema, labels=models.display, colours=models.colours
        )
        if not body:
            continue
        words = [task, task_display(task, schema)] + [models.display[r.label] for r in chosen]
        groups.append(
            f'<details class="sub-d" data-task="{esc(task)}" data-search="{search_text(*words)}"'
            f"{' open' if not groups else ''}><summary>{esc(task_display(task, schema))} "
            f'<span class="sub">{len(chosen)} models</span></summary>'
            f'<div class="body">{body}</div></details>'
        )
    return "".join(groups)


def write_report(
    results: list[Path],
    out: Path,
    *,
    schema_path: Path | None = None,
    gallery_size: int = 12,
) -> Path:
    """Write the static HTML report of the runs under ``results``.

    The page has a sortable leaderboard table, per-family bar charts with 95 % CI error bars,
    checkpoint-sweep plots (main metric vs training step with CI bands, when runs of one task
    differ by step), the same samples side by side across models, and a sample gallery per
    run, with a search box and task / model filters. A model has one colour everywhere, and
    long sections are collapsible so the page stays short however many models there are.

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
    models = _models(runs)
    tasks = present_tasks(rows, schema)
    toolbar = filters(
        [(t, task_display(t, schema)) for t in tasks],
        [(r["model"], models.display.get(r["model"], r["model"])) for r in rows],
    )
    sections = [
        ("board", "Leaderboard", f'<p class="note">{esc(TABLE_NOTE)}</p>'
         + leaderboard_table(rows, schema, models.display, models.subtitle, models.colours),
         True, f"{len(rows)} models · {len(tasks)} tasks"),
    ]  # fmt: skip
    figures = _family_figures(rows, schema, out, models) + _sweep_figures(runs, schema, out, models)
    sections.append((
        "charts", "Charts", _legend(rows, models) + '<div class="grid">'
        + "".join(_figure_html(f, out) for f in figures) + "</div>", True,
        "one colour per model in every chart",
    ))  # fmt: skip
    compare = _compare_html(rows, runs, schema, out, models)
    if compare:
        sections.append(("compare", "Side by side", compare, True,
                         "the same samples (same id and seed) across models"))  # fmt: skip
    order = {t: i for i, t in enumerate(tasks)}
    rank = {r["model"]: i for i, r in enumerate(rows)}
    galleries = "".join(
        gallery(run, out, schema, gallery_size, label=models.display.get(run.label),
                colour=models.colours.get(run.label))
        for run in sorted(runs, key=lambda r: (order.get(r.task, len(order)), r.task,
                                                rank.get(r.label, len(rank)), r.label))
    )  # fmt: skip
    sections.append(("samples", "Samples by run", galleries, False, f"{len(runs)} runs"))
    sections.append(("runs", "Runs and provenance", provenance_table(rows, models.display),
                     False, "revision, commit, date, run ids"))  # fmt: skip
    toc = '<nav class="toc">' + "".join(
        f'<a href="#{ident}">{esc(title)}</a>' for ident, title, *_ in sections
    ) + "</nav>"  # fmt: skip
    body = toc + "\n".join(
        section(ident, title, html, open_=is_open, note=note)
        for ident, title, html, is_open, note in sections
    )
    index = out / "index.html"
    index.write_text(page(f"{schema.title} — report", body, toolbar), encoding="utf-8")
    return index
