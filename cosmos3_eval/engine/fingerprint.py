"""The identity of a run: everything that can move a score, hashed into its fingerprint.

A run directory belongs to one identity (:meth:`cosmos3_eval.results.rundir.RunDir.open`
refuses another, naming the first differing field). It covers

* the task: id, validated config, provenance (renderer settings, ...), and the sha256 of the
  task file and of every asset the benchmark declares (:meth:`Benchmark.assets`: data files,
  media, MJCF scenes, scorer checkpoints) — ``task_files``;
* the model: its ``ModelInfo`` (name, revision, checkpoint sha256, params), the ``module:attr``
  target it was built from (two classes sharing ``info.name`` never resume each other) and the
  sha256 of its source files when it lives outside this package — ``model.source_sha256``;
* the base seed and, for a sealed run, the commitment to its secret — ``seal``;
* the package version and the hash of the package's own sources — ``code``.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from cosmos3_eval import __version__
from cosmos3_eval.api.benchmark import Benchmark
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.results.jsonio import file_sha256
from cosmos3_eval.results.rundir import source_sha256

_PACKAGE = __name__.split(".")[0]


def run_identity(
    bench: Benchmark,
    model: Any,
    options: RunOptions,
    provenance: dict[str, Any],
    task_file: Path,
    target: str,
) -> dict[str, Any]:
    """The identity dict of one (model, task) run, written to the manifest and hashed.

    Args:
        bench: The benchmark.
        model: The model (unwrapped: the cache wrapper adds nothing that moves a score).
        options: Run options (base seed, seal).
        provenance: ``bench.provenance()``, computed once by the caller.
        task_file: The task file the benchmark was loaded from.
        target: The ``module:attr`` the model was built from.
    """
    info = model.info
    return {
        "task": bench.task_id,
        "task_config": bench.config.model_dump(mode="json"),
        "task_provenance": provenance,
        "task_files": task_files(bench, task_file),
        "model": {
            "name": info.name,
            "revision": info.revision,
            "checkpoint_sha256": info.checkpoint_sha256,
            "params": info.params,
            "target": target,
            "source_sha256": model_source_sha256(model, target),
        },
        "base_seed": options.seed,
        "seal": options.seal.commitment if options.seal is not None else None,
        "code": {"version": __version__, "source_sha256": source_sha256()},
    }


def task_files(bench: Benchmark, task_file: Path) -> dict[str, str]:
    """File name -> sha256 of the task file and of every asset the benchmark declares.

    Names are relative to the task folder when the file is inside it, so the fingerprint of a
    run does not depend on where the checkout lives.
    """
    root = bench.task_dir.resolve()
    out = {}
    for path in [task_file, *bench.assets()]:
        full = Path(path).resolve()
        name = full.relative_to(root).as_posix() if full.is_relative_to(root) else str(full)
        out[name] = file_sha256(full)
    return out


def model_source_sha256(model: Any, target: str) -> str | None:
    """sha256 of the source files of a model that lives outside this package.

    The files are those of the target's module, of the model's class and of any
    ``module:attr`` model argument (e.g. the ``torch`` adapter's network module): the module
    file itself, or, for a module inside a package, every ``.py`` file of its top-level
    package. Code of this package is covered by ``code.source_sha256`` and left out here.

    Returns:
        The hash, or ``None`` when every module is this package's own (or has no file).
    """
    modules = {type(model).__module__, target.partition(":")[0]}
    for value in getattr(model.info, "params", {}).values():
        if isinstance(value, str) and ":" in value:
            modules.add(value.partition(":")[0])
    files: dict[str, Path] = {}
    for name in sorted(modules):
        files.update(_module_files(name))
    if not files:
        return None
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(f"{name}\0{file_sha256(files[name])}\0".encode())
    return h.hexdigest()


def _module_files(name: str) -> dict[str, Path]:
    """Display name -> path of the source files that define module ``name`` (if imported)."""
    top = name.split(".")[0]
    module, package = sys.modules.get(name), sys.modules.get(top)
    if module is None or top == _PACKAGE:
        return {}
    roots = list(getattr(package, "__path__", None) or [])
    if roots:  # a package: any of its modules may be imported by the model
        out = {}
        for root in map(Path, roots):
            for p in root.rglob("*.py"):
                out[os.path.join(top, p.relative_to(root).as_posix())] = p
        return out
    file = getattr(module, "__file__", None)
    return {Path(file).name: Path(file)} if file and file.endswith(".py") else {}
