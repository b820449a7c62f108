"""The CI gate (``cosmos3-eval compare``): a verdict you can rely on, or exit 2.

On top of the paired comparison of :mod:`cosmos3_eval.results.compare` the gate refuses
(exit 2) what it cannot judge: a baseline task missing from the candidate (``--allow-missing``
overrides), runs whose reproduction profiles differ (generation settings, simulator stack;
``--allow-profile-diff`` overrides and prints the difference), runs sealed under different
commitments (or one sealed, one open), failed or incomplete runs. Per task it prints the
minimum detectable effect (MDE) at the n run next to ``--max-drop``; a task whose MDE
exceeds it is UNDERPOWERED, with the n it would need; ``--require-power`` makes that exit 2.
See ``docs/ci-gate.md``.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cosmos3_eval.errors import NotComparableError, UserError
from cosmos3_eval.results.compare import TaskComparison, compare
from cosmos3_eval.results.table import fit_table, terminal_width
from cosmos3_eval.results.verify import VerifiedRun, load_runs
from cosmos3_eval.scorers.stats import minimum_detectable_effect

EXIT_OK, EXIT_REGRESSION, EXIT_REFUSED = 0, 1, 2


@dataclass(frozen=True)
class GateOptions:
    """What the gate tolerates.

    Attributes:
        max_drop: Tolerated drop of a main metric (absolute, in its units).
        alpha: Significance level (Holm-corrected across tasks).
        allow_missing: Compare the shared tasks when the candidate lacks some.
        require_power: Exit 2 when a task's MDE exceeds ``max_drop``.
        allow_profile_diff: Compare runs whose reproduction profiles differ.
    """

    max_drop: float = 0.02
    alpha: float = 0.05
    allow_missing: bool = False
    require_power: bool = False
    allow_profile_diff: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_drop) and self.max_drop >= 0):
            raise UserError(f"--max-drop must be a finite number >= 0, got {self.max_drop}")
        if not (math.isfinite(self.alpha) and 0 < self.alpha < 1):
            raise UserError(f"--alpha must be in (0, 1), got {self.alpha}")


def required_n(mde: float, n: int, max_drop: float, alpha: float) -> int | None:
    """The n at which the MDE would reach ``max_drop`` (same per-pair spread); None: never.

    The MDE is linear in the standard deviation of the differences, so the spread implied by
    the MDE at ``n`` is carried to larger n with the exact noncentral-t MDE.
    """
    if max_drop <= 0 or not math.isfinite(mde) or n < 2:
        return None
    sd = mde / minimum_detectable_effect(1.0, n, alpha)
    lo, hi = n, n
    while minimum_detectable_effect(sd, hi, alpha) > max_drop:
        lo, hi = hi, hi * 2
        if hi > 10_000_000:
            return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if minimum_detectable_effect(sd, mid, alpha) > max_drop else (lo, mid)
    return hi


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(d, dict):
        return {prefix.rstrip("."): d}
    out: dict[str, Any] = {}
    for k, v in d.items():
        out.update(_flatten(v, f"{prefix}{k}."))
    return out


def profile_differences(base: VerifiedRun, new: VerifiedRun) -> list[str]:
    """``field: base != new`` for every profile field that differs between two runs."""
    b = _flatten(base.manifest.get("profile") or {})
    n = _flatten(new.manifest.get("profile") or {})
    keys = sorted(set(b) | set(n))
    return [f"{k}: {b.get(k)!r} != {n.get(k)!r}" for k in keys if b.get(k) != n.get(k)]


def _commitment(run: VerifiedRun) -> str | None:
    seal = run.manifest.get("seal")
    return seal.get("commitment") if isinstance(seal, dict) else None


def _preflight(base: list[VerifiedRun], new: list[VerifiedRun], opts: GateOptions) -> list[str]:
    """Refuse what the gate cannot judge; return the notes of what was allowed."""
    b_idx = {r.task: r for r in base}
    n_idx = {r.task: r for r in new}
    notes = []
    missing = sorted(set(b_idx) - set(n_idx))
    if missing and not opts.allow_missing:
        raise NotComparableError(
            f"NEW lacks baseline task(s) {', '.join(missing)}; run them or pass --allow-missing"
        )
    if missing:
        notes.append(f"not compared (missing in NEW, --allow-missing): {', '.join(missing)}")
    extra = sorted(set(n_idx) - set(b_idx))
    if extra:
        notes.append(f"not compared (not in BASE): {', '.join(extra)}")
    for task in sorted(set(b_idx) & set(n_idx)):
        b, n = b_idx[task], n_idx[task]
        if _commitment(b) != _commitment(n):
            raise NotComparableError(
                f"{task}: seal commitments differ ({_commitment(b)!r} vs {_commitment(n)!r})"
            )
        diffs = profile_differences(b, n)
        if diffs and not opts.allow_profile_diff:
            raise NotComparableError(
                f"{task}: reproduction profiles differ ({'; '.join(diffs)}); "
                "pass --allow-profile-diff to compare anyway"
            )
        notes += [f"{task}: profile differs (allowed): {d}" for d in diffs]
    return notes


def _row(r: TaskComparison, opts: GateOptions) -> dict[str, Any]:
    under = r.mde > opts.max_drop
    need = required_n(r.mde, r.n, opts.max_drop, opts.alpha) if under else None
    verdict = "REGRESSION" if r.regression else ("UNDERPOWERED" if under else "ok")
    return {**asdict(r), "max_drop": opts.max_drop, "underpowered": under, "n_needed": need,
            "verdict": verdict}  # fmt: skip


def gate(base: Path, new: Path, opts: GateOptions, as_json: bool = False) -> int:
    """CLI body of ``compare``: print the verdict; 0 ok, 1 regression, 2 refused.

    Exit 2 also when ``--require-power`` is set and a task without a regression is
    underpowered (a detected regression is real at any power, so it stays exit 1).
    """
    b_runs, n_runs = load_runs([base], strict=True), load_runs([new], strict=True)
    notes = _preflight(b_runs, n_runs, opts)
    rows = [_row(r, opts) for r in compare(b_runs, n_runs, opts.max_drop, opts.alpha)]
    bad = [r["task"] for r in rows if r["regression"]]
    weak = [r["task"] for r in rows if r["underpowered"] and not r["regression"]]
    code = EXIT_REGRESSION if bad else EXIT_OK
    if not bad and weak and opts.require_power:
        code = EXIT_REFUSED
    if as_json:
        out = {"exit_code": code, "regressions": bad, "underpowered": weak, "notes": notes,
               "alpha": opts.alpha, "max_drop": opts.max_drop, "tasks": rows}  # fmt: skip
        print(json.dumps(out, indent=2, default=str))
        return code
    _print_table(rows, opts)
    for note in notes:
        print(f"note: {note}")
    if bad:
        print(f"REGRESSION in: {', '.join(bad)}")
    elif weak:
        verb = "refusing (--require-power)" if opts.require_power else "cannot see a drop"
        print(f"UNDERPOWERED ({verb}) in: {', '.join(weak)}")
    if not bad:
        print("no significant regression" + (" (but underpowered, see above)" if weak else ""))
    return code


def _print_table(rows: list[dict[str, Any]], opts: GateOptions) -> None:
    """The verdict table, no wider than the terminal (``$COLUMNS``, default 100)."""
    table = []
    for r in rows:
        verdict = r["verdict"]
        if r["underpowered"] and verdict != "REGRESSION":  # a drop seen needs no more power
            verdict += f" (n≥{r['n_needed']})" if r["n_needed"] else " (n≥∞)"
        lo, hi = r["ci95"]
        table.append([
            f"{r['task']} {r['metric']}", f"{r['base']:.3f}→{r['new']:.3f}", f"{r['diff']:+.3f}",
            f"[{lo:+.3f},{hi:+.3f}]", f"{r['p_holm']:.2g}", r["n"], f"{r['mde']:.3f}", verdict,
        ])  # fmt: skip
    headers = ["task metric", "base→new", "diff", "95% CI", "p Holm", "n", "MDE", "verdict"]
    print(fit_table(table, headers, wrap=["task metric", "verdict"], right=["diff", "n", "MDE"]))
    tests = sorted({r["test"] for r in rows})
    print(textwrap.fill(
        f"max drop {opts.max_drop:g}, alpha {opts.alpha:g}; tests: {', '.join(tests)} (Holm "
        "across tasks). MDE = smallest drop detectable at this n with 80 % power; a task whose "
        "MDE exceeds the max drop is marked UNDERPOWERED with n≥N, the pairs needed for "
        "MDE <= max drop.",
        terminal_width(),
        break_on_hyphens=False,
    ))  # fmt: skip
