"""``cosmos3-eval sim-env``: create and inspect isolated simulator environments.

``cosmos3-eval sim-env create libero`` builds (or reuses) the pinned LIBERO venv and prints its
size and creation time; ``cosmos3-eval sim-env show libero`` prints what it contains (the same
record that goes into run manifests and fingerprints).
"""

from __future__ import annotations

import argparse
import json

from cosmos3_eval.sim import isolated
from cosmos3_eval.sim.isolated import SIM_ENVS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``sim-env`` subcommand."""
    p = subparsers.add_parser("sim-env", help="create / show isolated simulator environments")
    p.add_argument("action", choices=["create", "show", "path"])
    p.add_argument("name", choices=sorted(SIM_ENVS))
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p.add_argument("--python", default=None, help="base interpreter for the venv")


def command(args: argparse.Namespace) -> int:
    """Execute ``sim-env``; returns the exit code (errors are raised as UserError)."""
    if args.action == "create":
        res = isolated.create(args.name, base_python=args.python, force=args.force)
        state = "created" if res.created else "up to date"
        print(
            f"sim env '{args.name}' {state} at {res.path}: "
            f"size_mb={res.size_bytes / 2**20:.0f} create_s={res.seconds:.1f}"
        )
    elif args.action == "path":
        print(isolated.require_python(args.name))
    else:
        print(json.dumps(isolated.describe(args.name), indent=1))
    return 0
