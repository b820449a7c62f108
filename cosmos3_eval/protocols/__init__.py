"""Wire codecs shared by the network adapters (:mod:`cosmos3_eval.models`) and ``serve``.

One module per protocol holds both directions of its codec (the adapter encodes a request and
decodes the reply, the server decodes the request and encodes the reply), so the two sides
cannot drift apart. Protocol modules import only :mod:`cosmos3_eval.api` and the errors.

Requests a server receives are validated into the typed pydantic records of each protocol
module (:func:`validate`), so every malformed body is one :class:`WireFormatError` (HTTP 400).
"""

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cosmos3_eval.errors import Cosmos3EvalError

SEED_MAX = 2**63 - 1
"""Largest seed accepted over the wire (numpy and torch generators take 64-bit seeds)."""

M = TypeVar("M", bound=BaseModel)


class WireFormatError(Cosmos3EvalError):
    """A message that does not follow its protocol (a server answers it with HTTP 400)."""


class WireModel(BaseModel):
    """Base of the request records.

    Unknown keys are kept (clients send fields we ignore); numbers must be finite.
    """

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, frozen=True)


def seed_field(default: int | None = 0) -> Any:
    """A seed field: an integer in ``[0, SEED_MAX]``."""
    return Field(default, ge=0, le=SEED_MAX)


def validate(model: type[M], data: Any, what: str) -> M:
    """``data`` as the record ``model``.

    Raises:
        WireFormatError: ``data`` is not an object of that shape (lists, strings, null, wrong
            types, out-of-range numbers); the message names the fields, never echoes values.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise WireFormatError(f"bad {what}: {problems}") from None
    except RecursionError:
        raise WireFormatError(f"bad {what}: nested too deeply") from None


def loads_json(data: bytes | str, what: str) -> Any:
    """Parse untrusted JSON.

    Raises:
        WireFormatError: Not UTF-8 JSON, or nested deeper than the parser's recursion limit.
    """
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        kind = "nested too deeply" if isinstance(exc, RecursionError) else "not valid JSON"
        raise WireFormatError(f"{what}: {kind}") from None
