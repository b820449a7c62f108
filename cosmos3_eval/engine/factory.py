"""The model factory: a registered model built from ``--model-args`` (checked by signature)."""

from __future__ import annotations

import inspect
from typing import Any

from cosmos3_eval.api.registry import MODELS
from cosmos3_eval.errors import ConfigError, UserError, did_you_mean


def create_model(name: str, args: dict[str, Any] | None = None) -> Any:
    """Instantiate a registered model with keyword args, checking them against its signature.

    Args:
        name: Registry name.
        args: Parsed ``--model-args``.

    Raises:
        UnknownNameError: Unknown model name.
        ConfigError: An unknown or invalid model argument.
    """
    args = dict(args or {})
    factory = MODELS.load(name)
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):  # builtins without signatures: let the call decide
        sig = None
    if sig is not None and not any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()
    ):
        accepted = [p for p in sig.parameters if p != "self"]
        for key in args:
            if key not in accepted:
                raise ConfigError(
                    f"model '{name}' has no argument '{key}'{did_you_mean(key, accepted)}; "
                    f"accepted: {', '.join(accepted) or '(none)'}"
                )
    try:
        return factory(**args)
    except UserError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad --model-args for model '{name}': {exc}") from exc
