"""The ``cosmos3-eval`` command line: one module per subcommand."""

from cosmos3_eval.cli.main import main  # noqa: F401

__all__ = ["main"]
