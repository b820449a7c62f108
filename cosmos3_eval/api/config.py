"""Config is data: strict pydantic records and the YAML reader every config file goes through.

Every file (task files, suites, the leaderboard schema) is read with ``yaml.safe_load`` and
validated by a :class:`StrictConfig` subclass that forbids unknown keys, so a typo is an error
naming the key, never a silent default.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from cosmos3_eval.errors import ConfigError, DataError, did_you_mean


class StrictConfig(BaseModel):
    """Base of every config record: unknown keys, wrong types and NaN / inf are errors; frozen.

    A negative number is refused for every field whose name says it counts or measures
    something (sizes, horizons, steps, fps, ...); fields that may be negative (offsets,
    positions) keep their own bounds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)

    @model_validator(mode="after")
    def _non_negative_counts(self) -> StrictConfig:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if not _COUNT_FIELD.search(name) or isinstance(value, bool):
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, (int, float)) and v < 0 for v in values):
                raise ValueError(f"'{name}' must not be negative, got {value}")
        return self


_COUNT_FIELD = re.compile(
    r"(^|_)(size|sizes|n|num|count|horizon|steps|frames|fps|hz|width|height|resolution|"
    r"limit|episodes|samples|chunk|timeout|seconds|duration|repeats|max_\w+)($|_)"
)
"""Names of config fields that count or measure: never negative."""


def read_yaml(path: Path) -> Any:
    """``yaml.safe_load`` a file; a missing or malformed file is a user error naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError(f"file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc


def validation_message(exc: ValidationError, where: str) -> str:
    """One line for a pydantic error, with did-you-mean for unknown keys."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        model_fields = getattr(exc, "_fields", None) or []
        hint = did_you_mean(str(err["loc"][-1]), model_fields)
        return f"{where}: unknown key '{loc}'{hint}"
    if err["type"] == "missing":
        return f"{where}: missing key '{loc}'"
    return f"{where}: bad value for '{loc}': {err['msg']}"


def validate(model: type[BaseModel], data: Any, where: str) -> Any:
    """Validate ``data`` against ``model``; errors become one-line :class:`ConfigError`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        exc._fields = list(model.model_fields)  # type: ignore[attr-defined]
        raise ConfigError(validation_message(exc, where)) from exc
