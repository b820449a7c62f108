"""``cosmos3-eval serve``: serve a registered model over a network protocol."""

import argparse
from typing import Any

from cosmos3_eval.api.media import MediaLimits
from cosmos3_eval.cli.common import EXIT_OK, bounded_int, positive_int
from cosmos3_eval.engine.tasks import parse_model_args
from cosmos3_eval.serve.app import PROTOCOLS, serve_main
from cosmos3_eval.serve.guard import ServeLimits

_LIMITS = ServeLimits()


def add_parser(sub: Any) -> None:
    """Add ``serve`` and its options to the subcommand parsers ``sub``."""
    s = sub.add_parser("serve", help="serve a registered model over a network protocol")
    s.add_argument("--model", required=True)
    s.add_argument("--model-args", default="")
    s.add_argument("--protocol", required=True, choices=list(PROTOCOLS))
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=bounded_int(1, 65535), default=8000, help="TCP port (1-65535)")
    s.add_argument(
        "--api-key-env",
        default=None,
        help="environment variable holding the bearer token every request must carry "
        "(as vLLM's --api-key; GET /health stays open)",
    )
    media = _LIMITS.media
    s.add_argument("--max-body-bytes", type=positive_int, default=_LIMITS.max_body_bytes)
    s.add_argument(
        "--max-pixels",
        type=positive_int,
        default=media.max_pixels,
        help="pixels per decoded or requested image / frame",
    )
    s.add_argument(
        "--max-side",
        type=positive_int,
        default=media.max_side,
        help="width or height of an image / frame",
    )
    s.add_argument("--max-frames", type=positive_int, default=media.max_frames)
    s.add_argument(
        "--max-total-pixels",
        type=positive_int,
        default=media.max_total_pixels,
        help="pixels over all images and frames of one request",
    )


def command(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    limits = ServeLimits(
        max_body_bytes=args.max_body_bytes,
        media=MediaLimits(
            max_pixels=args.max_pixels,
            max_side=args.max_side,
            max_frames=args.max_frames,
            max_total_pixels=args.max_total_pixels,
        ),
    )
    serve_main(
        args.model,
        parse_model_args(args.model_args),
        args.protocol,
        args.host,
        args.port,
        limits,
        args.api_key_env,
    )
    return EXIT_OK
