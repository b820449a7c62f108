"""The model factory: a registered model built from ``--model-args`` (checked by signature)."""

from __future__ import annotations

import inspect
from typing import Any

from cosmos3_eval.api.registry import MODELS, PRIVILEGED, import_target, privileged_target
from cosmos3_eval.errors import ConfigError, PrivilegeError, UserError, did_you_mean


def create_model(name: str, args: dict[str, Any] | None = None) -> Any:
    """Instantiate a registered model with keyword args, checking them against its signature.

    Args:
        name: Registry name.
        args: Parsed ``--model-args``.

    Raises:
        UnknownNameError: Unknown model name.
        ConfigError: An unknown or invalid model argument.
        PrivilegeError: The model declares ``privileged=True`` but is not a built-in oracle.
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
        model = factory(**args)
    except UserError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad --model-args for model '{name}': {exc}") from exc
    check_privilege(model, name)
    return model


def check_privilege(model: Any, name: str | None = None) -> bool:
    """Whether ``model`` is granted privileged ground truth; refuse one that only declares it.

    Privilege is granted by :data:`cosmos3_eval.api.registry.PRIVILEGED`, never by the model's
    own ``ModelInfo``: the model must be exactly the package class of a privileged entry and,
    when ``name`` is given, have been built from that entry's built-in target.

    Args:
        model: A model instance (unwrapped: not a cache wrapper).
        name: The registry name or ``module:attr`` it was built from, if known.

    Returns:
        ``True`` for a granted oracle, ``False`` for a model that declares no privilege.

    Raises:
        PrivilegeError: The model declares ``privileged=True`` without the grant.
    """
    info = getattr(model, "info", None)
    if not getattr(info, "privileged", False):
        return False
    if name is not None:
        target = privileged_target(name)
        granted = target is not None and type(model) is import_target(target)
    else:
        granted = any(type(model) is import_target(t) for t in set(PRIVILEGED.values()))
    if not granted:
        raise PrivilegeError(
            f"model '{name or getattr(info, 'name', type(model).__name__)}' declares "
            "privileged=True, but privileged ground truth is granted only to the built-in "
            f"references ({', '.join(sorted(PRIVILEGED))}); set ModelInfo(privileged=False)"
        )
    return True
