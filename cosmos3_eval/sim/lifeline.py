"""Child processes die with their parent.

Every worker the suite starts (env workers, process-pool workers, isolated sim-env workers)
calls :func:`die_with_parent` first: on Linux the kernel then sends it ``SIGKILL`` when the
process that started it exits, however it exits (``kill -9`` included), so no worker, and no
``multiprocessing`` resource tracker waiting on their pipes, outlives a killed driver.
Standard library only: isolated workers run it under another interpreter (``preexec_fn``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> bool:
    """Ask the kernel to kill this process when its parent exits (Linux; no-op elsewhere).

    Args:
        parent_pid: The expected parent; if it is already gone (the parent died before this
            call) the process exits at once instead of living on as an orphan.

    Returns:
        Whether the death signal is armed.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent is already gone: the signal would never come
    return armed
