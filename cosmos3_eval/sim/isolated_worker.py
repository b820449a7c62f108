"""Entry point of an env worker that runs under another Python interpreter (an isolated venv).

Run as a script, never imported: ``<python> isolated_worker.py <fd> <spec-json>``. The venv
does not contain cosmos3-eval, so this script loads two files of the package by path — the
worker protocol (:mod:`cosmos3_eval.sim.worker_protocol`, standard library and numpy only)
and the env module named in the spec — and then serves the same commands as an in-process
worker over the inherited socket ``fd``.
"""

import sys

# The script's own folder (cosmos3_eval/sim) is sys.path[0]; its module names (render, vector,
# scenes, envs) must not shadow the simulator's imports.
sys.path.pop(0)

import importlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import traceback  # noqa: E402


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def main() -> None:
    """Build the env named by the spec and serve commands until ``close``."""
    from multiprocessing.connection import Connection

    fd, spec = int(sys.argv[1]), json.loads(sys.argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    protocol = _load("cosmos3_eval_worker_protocol", os.path.join(here, "worker_protocol.py"))
    conn = Connection(fd)
    env, error = None, None
    try:
        module = _load("cosmos3_eval_worker_env", os.path.join(here, spec["file"]))
        env = getattr(module, spec["cls"])(**spec["kwargs"])
    except Exception as exc:  # noqa: BLE001 - reported on every command, like in-process workers
        last = traceback.extract_tb(exc.__traceback__)[-1]
        error = (
            f"env construction failed: {type(exc).__name__}: {exc} "
            f"({last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
        )
    protocol.serve_env(conn, env, error)
    # The env is closed; skip interpreter teardown, where robosuite 1.4's render contexts'
    # __del__ print EGL errors about a display that is already gone.
    os._exit(0)


if __name__ == "__main__":
    main()
