"""Files shipped inside the package (task files, suites, the leaderboard schema, assets).

They live in ``cosmos3_eval/data/`` so an installed wheel carries them; the repository's
top-level ``tasks/``, ``benchmarks/*.yaml`` and ``leaderboard/schema.yaml`` are symlinks into
that folder, so there is one copy and both a checkout and a wheel read the same bytes.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(*parts: str) -> Path:
    """A path inside the package's ``data/`` folder (a real file: MuJoCo needs paths).

    Args:
        *parts: Path components below ``data/``, e.g. ``("tasks", "assets", "x.xml")``.
    """
    root = Path(str(resources.files("cosmos3_eval") / "data"))
    return root.joinpath(*parts)
