"""Starting ``spawn`` processes without re-running the user's ``__main__``.

A spawned child normally re-imports the parent's main script (as ``__mp_main__``) so that
functions defined there can be unpickled. Our workers run only functions of this package, so
that re-import buys nothing and costs a lot: a plain ``python script.py`` that calls
``cosmos3_eval.evaluate`` at top level (no ``if __name__ == "__main__"`` guard) would evaluate
again inside every child and fail with multiprocessing's bootstrapping ``RuntimeError``. While a
worker starts, :func:`main_not_reimported` shows multiprocessing an empty ``__main__``.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()


@contextmanager
def main_not_reimported() -> Iterator[None]:
    """Within this block, spawned children do not import the parent's ``__main__``.

    Only process *start* reads ``__main__`` (``multiprocessing.spawn.get_preparation_data``),
    so the swap lasts just that long; the lock keeps concurrent starts from restoring it early.
    """
    with _LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
