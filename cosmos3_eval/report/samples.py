"""Sample views of the report: a gallery per run and the same samples side by side across models.

Records are data, not instructions: every field is escaped, and artifact names that would leave
a run's ``artifacts/`` are refused. ``samples.jsonl`` is streamed and only a bounded prefix is
kept, so memory does not grow with the number of samples.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

from cosmos3_eval.report.html import esc, search_text, swatch, task_display, url
from cosmos3_eval.results.leaderboard import LeaderboardSchema, VerifiedRun
from cosmos3_eval.results.rundir import RunDir

IMAGE_SUFFIXES = frozenset({".png", ".gif", ".jpg", ".jpeg", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".webm"})
_ARTIFACT_KEYS = ("artifact", "video")
# Records read per run when looking for samples shared across models (media come first).
_PREFIX = 64


def slug(text: str) -> str:
    """A file-name-safe, collision-free name for ``text`` (readable prefix + hash)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:40].strip("._") or "x"
    return f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def artifact_names(record: dict[str, Any]) -> list[str]:
    """The artifact file names a record points to (``artifact`` / ``video`` fields)."""
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
    if not dst.exists():  # the gallery and the side-by-side view may both want one file
        shutil.copyfile(src, dst)
    return dst


def truth_generated(run: VerifiedRun) -> bool:
    """Whether a run's GIFs are truth | generated pairs (the I2V / world-model benchmarks)."""
    task = run.manifest.get("task") or {}
    return isinstance(task, dict) and task.get("capability") == "generate_videos"


def media_html(site_root: Path, file: Path, pair: bool = False, lazy: bool = False) -> str:
    """An ``<img>`` / ``<video>`` for a copied artifact; ``pair`` labels truth | generated."""
    rel = file.relative_to(site_root).as_posix()
    suffix = file.suffix.lower()
    load = "lazy" if lazy else "eager"
    if suffix in IMAGE_SUFFIXES:
        alt = f"{file.name} (left: simulator truth, right: generated)" if pair else file.name
        img = f'<img src="{url(rel)}" alt="{esc(alt)}" loading="{load}">'
        if pair and suffix == ".gif":
            return f'<div class="tg"><div class="tg-l"><span>truth</span><span>generated</span></div>{img}</div>'  # noqa: E501
        return img
    if suffix in VIDEO_SUFFIXES:
        pre = "none" if lazy else "metadata"
        return f'<video src="{url(rel)}" controls muted loop preload="{pre}"></video>'
    return f'<a href="{url(rel)}">{esc(file.name)}</a>'


def _text(value: Any) -> str:
    """A record field as display text (strings as is, anything else as compact JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _answer_text(output: Any) -> tuple[str | None, str | None]:
    """(model's answer text, extracted answer) from a QA record's ``output``."""
    if isinstance(output, dict):
        text, extracted = output.get("text"), output.get("extracted")
        return (None if text is None else _text(text),
                None if extracted is None else str(extracted))  # fmt: skip
    if output is None:
        return None, None
    return _text(output), None


def _data(record: dict[str, Any]) -> dict[str, Any]:
    data = record.get("data")
    return data if isinstance(data, dict) else {}


def prompt_html(record: dict[str, Any]) -> str:
    """The sample itself: prompt / instruction / question, choices and the true answer."""
    data, parts = _data(record), []
    for key in ("prompt", "instruction", "question"):
        if data.get(key):
            parts.append(f"<div><b>{key}:</b> {esc(_text(data[key]))}</div>")
    choices = data.get("choices")
    if isinstance(choices, list) and choices:
        items = "".join(
            f"<li>{esc(chr(ord('A') + i))}. {esc(_text(c))}</li>" for i, c in enumerate(choices)
        )
        parts.append(f'<ol type="A" class="ch">{items}</ol>')
    if "answer" in data:
        parts.append(
            f'<div><b>truth:</b> <span class="truth">{esc(_text(data["answer"]))}</span></div>'
        )
    return "".join(parts)


def result_html(record: dict[str, Any], metric: str) -> str:
    """What the model did: its answer, the verdict on ``metric``, the reason, other scores."""
    data, parts = _data(record), []
    text, extracted = _answer_text(record.get("output"))
    if text is not None and ("question" in data or "answer" in data):
        ext = f' <span class="sub">(read as {esc(extracted)})</span>' if extracted else ""
        parts.append(f'<div><b>model:</b> <span class="answer">{esc(text)}</span>{ext}</div>')
    if record.get("error"):
        parts.append(f'<div class="err">error: {esc(record["error"])}</div>')
        return "".join(parts)
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
    return "".join(parts)


def card(record: dict[str, Any], metric: str, media: list[str]) -> str:
    """One gallery card: media, then question / truth / answer / verdict, all escaped.

    Args:
        record: A ``samples.jsonl`` record.
        metric: The main metric (its score is the verdict).
        media: Ready HTML for the record's media (from :func:`media_html`).
    """
    head = (
        f'<div class="sub">{esc(record.get("id"))} · {esc(record.get("category", ""))} · '
        f"seed {esc(record.get('seed'))}</div>"
    )
    return (
        '<div class="cell">' + "".join(media) + head + prompt_html(record)
        + result_html(record, metric) + "</div>"
    )  # fmt: skip


def column_metric(run: VerifiedRun, schema: LeaderboardSchema) -> str:
    """The metric of a run's leaderboard column (the run's own main metric if unlisted)."""
    return schema.tasks[run.task].metric if run.task in schema.tasks else run.metrics["main_metric"]


def main_metric(run: VerifiedRun, schema: LeaderboardSchema) -> str:
    """The per-sample score a run's samples are judged on.

    The schema's column (else the run's own main metric); for a corpus-level metric (e.g.
    compose-t2i's ``overall``) samples carry its ``source`` score instead.
    """
    name = column_metric(run, schema)
    spec = run.metrics["metrics"].get(name) or {}
    if spec.get("level") == "corpus" and isinstance(spec.get("source"), str):
        return spec["source"]
    return name


def _media(run: VerifiedRun, rec: dict[str, Any], site: Path, lazy: bool) -> list[str]:
    dest = site / "media" / slug(run.path.name)
    out = []
    for name in artifact_names(rec):
        copied = copy_artifact(run.path, name, dest)
        out.append(media_html(site, copied, truth_generated(run), lazy) if copied else
                   f'<div class="err">missing artifact {esc(name)}</div>')  # fmt: skip
    return out


def _pick_records(run: VerifiedRun, size: int) -> list[dict[str, Any]]:
    """Up to ``size`` records for the gallery: those with media first, then the rest.

    Streams ``samples.jsonl`` and stops as soon as it has enough, so memory stays flat.
    """
    with_media: list[dict[str, Any]] = []
    without: list[dict[str, Any]] = []
    for rec in RunDir(run.path).records():
        if artifact_names(rec):
            if len(with_media) < size:
                with_media.append(rec)
        elif len(without) < size:
            without.append(rec)
        if len(with_media) >= size:
            break
    chosen = (with_media + without)[:size]
    return sorted(chosen, key=lambda r: (r.get("index", 0), str(r.get("id"))))


def gallery(
    run: VerifiedRun,
    site: Path,
    schema: LeaderboardSchema,
    size: int,
    *,
    label: str | None = None,
    colour: str | None = None,
) -> str:
    """A run's gallery: a collapsed ``<details>`` (``data-task`` / ``data-model`` for filters).

    Args:
        run: The run.
        site: The site root (media are copied under ``media/``).
        schema: The leaderboard schema (main metric, display names).
        size: Records shown (those with media first).
        label: The model label to show (default: the run's label).
        colour: The model's colour in the report.
    """
    cards = [card(rec, main_metric(run, schema), _media(run, rec, site, lazy=True))
             for rec in _pick_records(run, size)]  # fmt: skip
    metric = column_metric(run, schema)
    mv = run.metrics["metrics"].get(metric) or {}
    model = (run.manifest.get("model") or {}).get("name", "")
    summary = f"{metric} = {mv['value']:.4g}" if mv.get("value") is not None else f"{metric} = -"
    if mv.get("ci95"):
        summary += f" [{mv['ci95'][0]:.4g}, {mv['ci95'][1]:.4g}]"
    summary += f", n = {run.metrics.get('n_samples')}, errors = {run.metrics.get('n_errors')}"
    label = label or run.label
    task = task_display(run.task, schema)
    return (
        f'<details class="gallery sub-d" data-task="{esc(run.task)}" data-model="{esc(run.label)}"'
        f' data-search="{search_text(run.task, task, run.label, label, model)}">'
        f"<summary>{swatch(colour)}{esc(task)} · {esc(label)} "
        f'<span class="sub">{esc(summary)} · model {esc(model)} · run '
        f"{esc(run.manifest.get('run_id'))}</span></summary>"
        f'<div class="body"><div class="cards">'
        f"{''.join(cards) or '<p class=sub>no records</p>'}</div></div></details>"
    )


def _prefix(run: VerifiedRun) -> dict[tuple[str, Any], dict[str, Any]]:
    """(id, seed) -> record over the first :data:`_PREFIX` records of a run."""
    out: dict[tuple[str, Any], dict[str, Any]] = {}
    for rec in RunDir(run.path).records():
        out[(str(rec.get("id")), rec.get("seed"))] = rec
        if len(out) >= _PREFIX:
            break
    return out


def side_by_side(
    task: str,
    runs: list[VerifiedRun],
    site: Path,
    schema: LeaderboardSchema,
    *,
    labels: dict[str, str],
    colours: dict[str, str],
    per_task: int = 3,
) -> str:
    """The same samples of one task across models: one row per sample, one cell per model.

    A sample is the same only if its id *and* seed match, so runs made with different base
    seeds are never paired. Samples shared by the most runs (with media, then by index) win.

    Args:
        task: The task id.
        runs: One run per model, in the order the cells are shown (e.g. leaderboard order).
        site: The site root.
        schema: The leaderboard schema.
        labels: Run label -> label to show.
        colours: Run label -> colour.
        per_task: Samples shown.

    Returns:
        The HTML of the task's group (empty when fewer than two runs share a sample).
    """
    prefixes = [(run, _prefix(run)) for run in runs]
    keys: dict[tuple[str, Any], list[int]] = {}
    for _, recs in prefixes:
        for key, rec in recs.items():
            c = keys.setdefault(key, [0, 0, rec.get("index", 0)])
            c[0] += 1
            c[1] += bool(artifact_names(rec))
    shared = sorted((k for k, c in keys.items() if c[0] >= 2),
                    key=lambda k: (-keys[k][0], -keys[k][1], keys[k][2], k[0]))  # fmt: skip
    if not shared:
        return ""
    pair = any(truth_generated(r) for r in runs)
    rows = []
    for key in shared[:per_task]:
        first = next(recs[key] for _, recs in prefixes if key in recs)
        cells = []
        for run, recs in prefixes:
            rec = recs.get(key)
            if rec is None:
                continue
            colour = colours.get(run.label)
            cells.append(
                f'<div class="cell" data-model="{esc(run.label)}" data-search='
                f'"{search_text(run.label, labels.get(run.label), task)}"'
                f' style="border-top-color:{esc(colour or "#e2e6ec")}">'
                f'<div class="who">{swatch(colour)}{esc(labels.get(run.label, run.label))}</div>'
                + "".join(_media(run, rec, site, lazy=False))
                + result_html(rec, main_metric(run, schema))
                + "</div>"
            )
        head = (
            f'<div class="sub">{esc(key[0])} · {esc(first.get("category", ""))} · '
            f"seed {esc(key[1])}</div>" + prompt_html(first)
        )
        rows.append(
            f'<div class="cmp"><div class="cmp-head">{head}</div>'
            f'<div class="cells{" wide" if pair else ""}">{"".join(cells)}</div></div>'
        )
    return "".join(rows)
