"""Write the leaderboard: ``LEADERBOARD.md``, ``leaderboard.csv`` and ``leaderboard.json``.

Every score in every output is on one 0-100 scale (``value / max_value * 100``), including
CI bounds and stderrs. Output is safe to open: Markdown cells are escaped (``|``, ``<``,
``>``, backticks, newlines) so a hostile model name cannot break the table or inject HTML,
and CSV text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, tab or CR; OWASP "CSV injection") get a leading single quote.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from cosmos3_eval.results.leaderboard import (
    RANK_RULE,
    Leaderboard,
    LeaderboardSchema,
    _fmt,
    _fmt_se,
    _task_order,
    build_rows,
    load_schema,
)
from cosmos3_eval.results.verify import scan_runs

_MD_ESCAPES = {"\\": "\\\\", "|": "\\|", "`": "\\`", "<": "&lt;", ">": "&gt;"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def md_cell(text: Any) -> str:
    """``text`` as one safe Markdown table cell."""
    s = " ".join(str(text).split())  # a newline would end the row
    return "".join(_MD_ESCAPES.get(c, c) for c in s)


def csv_cell(text: str) -> str:
    """A CSV text cell neutralised against formula injection (OWASP)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _pct(value: float | None, schema: LeaderboardSchema, task: str) -> float | None:
    return None if value is None else value * 100.0 / schema.tasks[task].max_value


def build_leaderboard(
    results: list[Path], out: Path, schema_path: Path | None = None, strict: bool = False
) -> Leaderboard:
    """Read run directories, verify them and write LEADERBOARD.md / .csv / .json.

    Args:
        results: Results directories or run directories.
        out: Output directory.
        schema_path: Leaderboard schema (default ``leaderboard/schema.yaml``).
        strict: Refuse failed / incomplete runs instead of skipping them with a note.
    """
    from tabulate import tabulate

    schema = load_schema(schema_path)
    scan = scan_runs(results, strict)
    notes = [f"skipped {s}" for s in scan.skipped]
    outside = sorted({r.task for r in scan.runs if r.task not in schema.tasks})
    if outside:
        notes.append(f"not in the leaderboard schema, left out: {', '.join(outside)}")
    runs = [r for r in scan.runs if r.task in schema.tasks]
    rows = build_rows(runs, schema)
    present = sorted({t for r in rows for t in r["cells"]}, key=_task_order(schema))
    fams = [f for f in schema.families if any(r["families"].get(f) for r in rows)]
    headers = ["rank", "model", "status", "overall"]
    headers += [schema.families[f].display for f in fams]
    headers += [schema.tasks[t].display for t in present] + ["revision", "commit", "date"]
    table, runs_table, flat_rows, plain = [], [], [], []
    for r in rows:
        ov = r["overall"]
        status = r["status"]
        if r["missing_families"]:
            status += " (no " + ", ".join(r["missing_families"]) + ")"
        line = ["–" if r["rank"] is None else r["rank"], r["model"], status, _fmt_se(ov, 100)]
        line += [_fmt_se(r["families"].get(f), 100) for f in fams]
        for t in present:
            c = r["cells"].get(t)
            line.append(_fmt(c["value"], c["ci95"], 100 / schema.tasks[t].max_value) if c else "-")
        line += [r["revision"], r["commit"], r["date"]]
        plain.append(line)
        table.append([md_cell(x) for x in line])
        for t in present:
            c = r["cells"].get(t)
            if c:
                runs_table.append(
                    [
                        md_cell(x)
                        for x in (r["model"], t, c["run_id"], c["n"], r["commit"], r["date"])
                    ]
                )
        flat_rows.append(_flat(r, schema, fams, present))
    md_table = tabulate(table, headers=headers, tablefmt="github", disable_numparse=True)
    runs_md = tabulate(
        runs_table,
        headers=["model", "task", "run id", "n", "commit", "date"],
        tablefmt="github",
        disable_numparse=True,
    )
    notes_md = "".join(f"- {md_cell(n)}\n" for n in notes)
    markdown = (
        f"# {md_cell(schema.title)}\n\nAll scores on a 0–100 scale. Main metric per task with "
        "its 95 % CI (± half-width, or [low, high] when the interval is asymmetric). Family "
        "scores are means over the family's tasks the model ran; overall is the weighted mean "
        f"of the family scores (± 1 stderr). {RANK_RULE}\n\n" + md_table + "\n\n"
        + (f"## Notes\n\n{notes_md}\n" if notes else "")
        + "## Runs\n\n" + runs_md + "\n"
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "LEADERBOARD.md", out / "leaderboard.csv", out / "leaderboard.json"]
    files[0].write_text(markdown)
    _write_csv(flat_rows, files[1])
    payload = {"title": schema.title, "scale": "0-100", "rank_rule": RANK_RULE, "notes": notes}
    files[2].write_text(json.dumps({**payload, "rows": flat_rows}, indent=2, default=str) + "\n")
    return Leaderboard(
        rows=rows, markdown=md_table, files=files, schema=schema, notes=notes,
        headers=headers, cells=plain, n_summary=4 + len(fams),
    )  # fmt: skip


def _flat(
    r: dict[str, Any], schema: LeaderboardSchema, fams: list[str], present: list[str]
) -> dict[str, Any]:
    """One CSV / JSON row: every score, bound and stderr on the 0-100 scale."""
    ov = r["overall"]
    flat: dict[str, Any] = {
        "rank": r["rank"],
        "model": r["model"],
        "status": r["status"],
        "label": r["label"],
        "model_name": r["model_name"],
        "params": json.dumps(r["params"], sort_keys=True) if r["params"] else "",
        "overall": ov[0] * 100 if ov else None,
        "overall_stderr": ov[1] * 100 if ov else None,
    }
    for f in fams:
        s = r["families"].get(f)
        flat[f"family:{f}"] = s[0] * 100 if s else None
    for t in present:
        c = r["cells"].get(t) or {}
        flat[t] = _pct(c.get("value"), schema, t)
        ci = c.get("ci95") or [None, None]
        flat[f"{t}:ci_low"], flat[f"{t}:ci_high"] = _pct(ci[0], schema, t), _pct(ci[1], schema, t)
        flat[f"{t}:n"] = c.get("n")
        # Latency and cost of the run (manifest cost section; None when not measured).
        flat[f"{t}:latency_p50_s"] = c.get("latency_p50_s")
        flat[f"{t}:cost_per_sample"] = c.get("cost_per_sample")
    flat.update(
        revision=r["revision"], run_ids=" ".join(r["run_ids"]), commit=r["commit"], date=r["date"]
    )
    return flat


def _write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """Write ``rows`` as CSV, byte for byte as the former ``pandas.DataFrame.to_csv`` did.

    Columns are the keys in first-seen order; a missing, None or NaN value is empty; a column
    of numbers holding any float or any gap is written as floats (``40.0``), as pandas'
    float64 inference did, so published tables keep their exact form. Text cells are
    neutralised with :func:`csv_cell`.
    """
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
        if as_float[c]:
            return repr(float(v))
        return str(v) if is_number(v) else csv_cell(str(v))

    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([csv_cell(c) for c in columns])
        writer.writerows([cell(c, row.get(c)) for c in columns] for row in rows)
