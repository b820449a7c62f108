"""Plain-text tables that fit the terminal: ``$COLUMNS`` wide (default 100), never wider.

Every command prints its tables through :func:`fit_table`, so no output needs a wide terminal
and a script can pin the width with ``COLUMNS=80``. Long free-text columns (descriptions) are
wrapped onto continuation lines; other columns are cut with ``…``.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

DEFAULT_WIDTH = 100
MIN_WIDTH = 40
GAP = "  "
ELLIPSIS = "…"


def terminal_width() -> int:
    """``$COLUMNS`` if it is a sane number, else :data:`DEFAULT_WIDTH`.

    The terminal itself is not queried: output piped into a log or CI should be as wide as on
    a terminal, and ``COLUMNS`` is the one knob both honour.
    """
    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return DEFAULT_WIDTH
    return max(MIN_WIDTH, width)


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in ``…`` when something was dropped."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)].rstrip() + ELLIPSIS if width > 0 else ""


def _column_widths(natural: list[int], floors: list[int], budget: int) -> list[int]:
    """Shrink the widest columns first until the sum fits ``budget`` (never below a floor)."""
    widths = list(natural)
    while sum(widths) > budget:
        shrinkable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def fit_table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    width: int | None = None,
    wrap: Sequence[str] = (),
    right: Sequence[str] = (),
) -> str:
    """Render ``rows`` as an aligned table no wider than ``width``.

    Args:
        rows: Cells (``None`` prints as ``-``).
        headers: Column names.
        width: Maximum line length (default :func:`terminal_width`).
        wrap: Headers of columns to wrap onto continuation lines instead of cutting.
        right: Headers of columns to right-align (numbers).

    Returns:
        The table, lines joined by newlines, without a trailing newline.
    """
    width = width or terminal_width()
    cells = [["-" if c is None else str(c) for c in row] for row in rows]
    n = len(headers)
    natural = [max([len(headers[i])] + [len(r[i]) for r in cells]) for i in range(n)]
    # Wrapped text columns give way first (down to 16 characters), then everything else
    # down to its header (or 3 characters), so identifiers keep as much as they can.
    floors = [
        min(natural[i], 16 if headers[i] in wrap else max(3, min(len(headers[i]), 8)))
        for i in range(n)
    ]
    budget = width - len(GAP) * (n - 1)
    pre = [min(natural[i], floors[i]) if headers[i] in wrap else natural[i] for i in range(n)]
    widths = _column_widths(natural, pre, budget)
    if sum(widths) > budget:
        widths = _column_widths(widths, floors, budget)

    def line(parts: list[str]) -> str:
        out = [
            p.rjust(widths[i]) if headers[i] in right else p.ljust(widths[i])
            for i, p in enumerate(parts)
        ]
        return GAP.join(out).rstrip()

    lines = [line([cut(h, widths[i]) for i, h in enumerate(headers)])]
    lines.append(GAP.join("-" * w for w in widths))
    for row in cells:
        columns = [
            textwrap.wrap(c, widths[i]) or [""] if headers[i] in wrap else [cut(c, widths[i])]
            for i, c in enumerate(row)
        ]
        for k in range(max(len(c) for c in columns)):
            lines.append(line([c[k] if k < len(c) else "" for c in columns]))
    return "\n".join(lines)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (the ``--json`` output of every command)."""
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
