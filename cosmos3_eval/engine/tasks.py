"""Strict loading of task files, suites and ``--model-args``.

Task files are ``tasks/*.yaml``; suites are ``benchmarks/*.yaml``.

Config is data: every file is read with ``yaml.safe_load`` and validated by a pydantic model
that forbids unknown keys, so a typo is an error naming the key, never a silent default.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from pydantic import Field

from cosmos3_eval.api.benchmark import Benchmark
from cosmos3_eval.api.config import StrictConfig, read_yaml, validate
from cosmos3_eval.api.registry import BENCHMARK_TYPES
from cosmos3_eval.api.resources import data_path
from cosmos3_eval.errors import ConfigError, DataError, unknown


class TaskFile(StrictConfig):
    """A task file: ``tasks/<name>-v<N>.yaml``."""

    task: str
    type: str
    description: str
    config: dict[str, Any] = {}


class SuiteEntry(StrictConfig):
    """One task of a suite with its per-suite sample / episode count."""

    task: str
    limit: int | None = Field(default=None, ge=1, le=10_000_000)


class SuiteFile(StrictConfig):
    """A suite: ``benchmarks/<name>.yaml``."""

    suite: str
    version: int
    description: str
    tasks: list[SuiteEntry]


def task_dirs() -> list[Path]:
    """Folders searched for task files: ``$COSMOS3_EVAL_TASKS`` (``:``-separated), then tasks/."""
    extra = [Path(p) for p in os.environ.get("COSMOS3_EVAL_TASKS", "").split(os.pathsep) if p]
    return [*extra, data_path("tasks")]


def suite_dirs() -> list[Path]:
    """Folders searched for suite files."""
    return [data_path("suites")]


def _yaml_files(dirs: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in dirs:
        if d.is_dir():
            for p in sorted(d.glob("*.yaml")):
                found.setdefault(p.stem, p)
    return found


def available_tasks() -> dict[str, Path]:
    """Task id -> task file for every task file found."""
    return _yaml_files(task_dirs())


def available_suites() -> dict[str, Path]:
    """Suite name -> suite file."""
    return _yaml_files(suite_dirs())


def find_task_file(name: str) -> Path:
    """Resolve a task id (``physqa-sim-v1``) or a path to a task YAML."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        if not path.is_file():
            raise DataError(f"task file not found: {name}")
        return path
    tasks = available_tasks()
    if name not in tasks:
        raise unknown("task", name, tasks)
    return tasks[name]


def load_task_file(name: str) -> tuple[TaskFile, Path]:
    """Read and validate a task file; its ``task`` key must match the file name."""
    path = find_task_file(name)
    tf = validate(TaskFile, read_yaml(path), str(path))
    if tf.task != path.stem:
        raise ConfigError(f"{path}: 'task: {tf.task}' does not match the file name")
    if "-v" not in tf.task or not tf.task.rsplit("-v", 1)[1].isdigit():
        raise ConfigError(f"{path}: task id '{tf.task}' must look like name-vN")
    return tf, path


def load_benchmark(name: str) -> Any:
    """Instantiate the benchmark a task file describes, validating its config strictly."""
    tf, path = load_task_file(name)
    cls = benchmark_type(tf.type, path)
    config = validate(cls.Config, tf.config, f"{path}: config")
    return cls(tf.task, config, path.parent)


def benchmark_type(name: str, where: Path | str) -> type[Benchmark]:
    """The benchmark class a task file's ``type`` names; anything else is a ConfigError."""
    cls = BENCHMARK_TYPES.load(name)
    if not (isinstance(cls, type) and issubclass(cls, Benchmark)):
        raise ConfigError(f"{where}: type '{name}' is not a benchmark type")
    return cls


def load_suite(name: str) -> SuiteFile:
    """Read and validate a suite by name or path."""
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
    else:
        suites = available_suites()
        if name not in suites:
            raise unknown("suite", name, suites)
        path = suites[name]
    suite = validate(SuiteFile, read_yaml(path), str(path))
    tasks = available_tasks()
    for entry in suite.tasks:
        if entry.task not in tasks:
            raise unknown(f"task in suite {path.name}", entry.task, tasks)
    return suite


def parse_scalar(text: str) -> Any:
    """Parse one ``--model-args`` value: int, float, bool, null, or else the raw string."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        raise ConfigError(f"--model-args: '{text}' is not a finite number")
    return value


def parse_model_args(text: str | None) -> dict[str, Any]:
    """Parse ``k=v,k2=v2`` into a dict; a malformed item is a :class:`ConfigError`."""
    out: dict[str, Any] = {}
    if not text:
        return out
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"bad --model-args item '{item}': expected key=value")
        if key in out:
            raise ConfigError(f"--model-args: '{key}' given twice")
        out[key] = parse_scalar(value.strip())
    return out
