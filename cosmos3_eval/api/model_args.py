"""Typed ``--model-args``: each model declares its arguments as a pydantic ``Args`` schema.

The schema of a built-in adapter is derived from its constructor (names, types, defaults) and
its Google docstring (help text) by :func:`declare_args`, so the constructor stays the one
source of truth and the two can never drift. ``--model-args`` arrive as strings (or scalars
parsed from them); the schema converts them to the declared types, and ``list models`` /
``describe MODEL`` print it.
"""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

T = TypeVar("T")


class ModelArgs(BaseModel):
    """Base of every ``Args`` schema: unknown keys are errors, numbers may stand for strings."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


@dataclass(frozen=True)
class ArgDoc:
    """One argument of a model, as ``list models`` / ``describe MODEL`` print it."""

    name: str
    type: str
    default: Any
    required: bool
    help: str


def docstring_args(doc: str | None) -> dict[str, str]:
    """The ``Args:`` section of a Google docstring: name -> one-line help."""
    out: dict[str, str] = {}
    lines = (doc or "").splitlines()
    inside, indent, current = False, 0, None
    for raw in lines:
        if raw.strip() == "Args:":
            inside, indent = True, len(raw) - len(raw.lstrip()) + 4
            continue
        if not inside:
            continue
        if raw.strip() and len(raw) - len(raw.lstrip()) < indent:
            break  # the next section (Raises:, Attributes:) or the end of Args
        m = re.match(r"\s*\**(\w+)(?: \([^)]*\))?: (.*)", raw)
        if m and len(raw) - len(raw.lstrip()) == indent:
            current = m.group(1)
            out[current] = m.group(2).strip().replace("``", "")
        elif current and raw.strip():
            out[current] += " " + raw.strip().replace("``", "")
    return out


def _type_name(tp: Any) -> str:
    if tp is Any:
        return "any"
    text = getattr(tp, "__name__", None) if not typing.get_args(tp) else None
    return text or str(tp).replace("typing.", "").replace("NoneType", "None")


def derive_args(factory: Any) -> type[ModelArgs] | None:
    """Build an ``Args`` schema from a class's ``__init__`` (or a function's) signature.

    Returns ``None`` when the signature cannot be read (builtins).
    """
    fn = factory.__init__ if inspect.isclass(factory) else factory
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to untyped
        hints = {}
    helps = docstring_args(inspect.getdoc(factory) if inspect.isclass(factory) else fn.__doc__)
    if inspect.isclass(factory) and not helps:
        helps = docstring_args(fn.__doc__)
    fields: dict[str, Any] = {}
    extra = "forbid"
    for name, p in sig.parameters.items():
        if name == "self" or p.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            extra = "allow"  # e.g. the torch adapter forwards the rest to the module
            continue
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[name] = (hints.get(name, Any), Field(default, description=helps.get(name, "")))
    config = ConfigDict(extra=extra, coerce_numbers_to_str=True)  # type: ignore[typeddict-item]
    name = f"{getattr(factory, '__name__', 'Model')}Args"
    return create_model(name, __config__=config, **fields)


def declare_args(cls: type[T]) -> type[T]:
    """Class decorator: set ``cls.Args`` to the schema derived from its constructor."""
    cls.Args = derive_args(cls)  # type: ignore[attr-defined]
    return cls


def args_schema(factory: Any) -> type[BaseModel] | None:
    """A model factory's ``Args`` schema: the declared one, else derived from its signature."""
    declared = getattr(factory, "Args", None)
    if inspect.isclass(declared) and issubclass(declared, BaseModel):
        return declared
    return derive_args(factory)


def describe_args(schema: type[BaseModel] | None) -> list[ArgDoc]:
    """The arguments of a schema in declaration order."""
    if schema is None:
        return []
    out = []
    for name, f in schema.model_fields.items():
        required = f.is_required()
        out.append(
            ArgDoc(
                name=name,
                type=_type_name(f.annotation),
                default=None if required else f.default,
                required=required,
                help=f.description or "",
            )
        )
    return out


def validation_line(exc: ValidationError, accepted: list[str]) -> str:
    """One line for a failed ``Args`` validation (the first error)."""
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(args)"
    if err["type"] == "extra_forbidden":
        return f"no argument '{key}'; accepted: {', '.join(accepted) or '(none)'}"
    if err["type"] == "missing":
        return f"missing required argument '{key}'"
    return f"bad value for '{key}' ({err.get('input')!r}): {err['msg']}"
