"""``cosmos3-eval serve``: serve a registered model over a network protocol."""

import argparse
from typing import Any

from cosmos3_eval.cli.common import EXIT_OK, positive_int
from cosmos3_eval.engine.tasks import parse_model_args
from cosmos3_eval.serve.app import PROTOCOLS, serve_main


def add_parser(sub: Any) -> None:
    """Add ``serve`` and its options to the subcommand parsers ``sub``."""
    s = sub.add_parser("serve", help="serve a registered model over a network protocol")
    s.add_argument("--model", required=True)
    s.add_argument("--model-args", default="")
    s.add_argument("--protocol", required=True, choices=list(PROTOCOLS))
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=positive_int, default=8000)


def command(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    serve_main(args.model, parse_model_args(args.model_args), args.protocol, args.host, args.port)
    return EXIT_OK
