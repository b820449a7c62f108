"""The model factory: a model built from ``--model-args`` (typed by its ``Args`` schema).

``--model`` is a registered name, ``package.module:attr`` or ``path/to/file.py:attr``; the
object it names is a class or a factory function whose keyword arguments are the model args.
What it returns must satisfy the model contract (:func:`check_model_contract`); every breach is
one line naming the model and the fix.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from cosmos3_eval.api.model import ModelInfo, capabilities
from cosmos3_eval.api.model_args import args_schema, validation_line
from cosmos3_eval.api.registry import MODELS, PRIVILEGED, import_target, privileged_target
from cosmos3_eval.errors import ConfigError, PrivilegeError, UserError, did_you_mean

CAPABILITY_METHODS = "answer, generate_images, generate_videos or act"


def convert_args(name: str, factory: Any, args: dict[str, Any]) -> dict[str, Any]:
    """Check ``args`` against the factory's ``Args`` schema and convert them to its types.

    Only the keys given are returned (defaults stay the factory's), and a value the schema
    accepts unchanged (``8`` for a float) is passed as given, so recorded model params do not
    change spelling.

    Raises:
        ConfigError: An unknown argument (with did-you-mean), a missing required one, or a
            value of the wrong type.
        PrivilegeError: The model declares ``privileged=True`` but is not a built-in oracle.
    """
    schema = args_schema(factory)
    if schema is None:
        return args
    accepted = list(schema.model_fields)
    allows_extra = schema.model_config.get("extra") == "allow"
    if not allows_extra:
        for key in args:
            if key not in accepted:
                raise ConfigError(
                    f"model '{name}' has no argument '{key}'{did_you_mean(key, accepted)}; "
                    f"accepted: {', '.join(accepted) or '(none)'}"
                )
    try:
        typed = schema.model_validate(args)
    except ValidationError as exc:
        raise ConfigError(f"model '{name}': {validation_line(exc, accepted)}") from None
    out = {}
    for key, given in args.items():
        value = getattr(typed, key, given)
        out[key] = given if type(given) is type(value) or given == value else value
    return out


def check_model_contract(model: Any, name: str) -> None:
    """The model contract: a ``.info`` that is a ModelInfo and at least one capability.

    Raises:
        ConfigError: One line naming what is missing.
    """
    info = getattr(model, "info", None)
    if info is None:
        raise ConfigError(
            f"model '{name}' has no .info: set self.info = ModelInfo(name=...) in its "
            "constructor (see docs/models.md)"
        )
    if not isinstance(info, ModelInfo):
        raise ConfigError(
            f"model '{name}': .info is a {type(info).__name__}, not a "
            "cosmos3_eval.api.model.ModelInfo"
        )
    try:
        caps = capabilities(model)
    except ValueError as exc:
        raise ConfigError(f"model '{name}': bad .capabilities ({exc})") from None
    if not caps:
        raise ConfigError(f"model '{name}' has no capability method ({CAPABILITY_METHODS})")


def create_model(name: str, args: dict[str, Any] | None = None) -> Any:
    """Instantiate a model with keyword args, typed by its ``Args`` schema, and check it.

    Args:
        name: Registry name, ``module:attr`` or ``path/to/file.py:attr``.
        args: Parsed ``--model-args``.

    Raises:
        UnknownNameError: Unknown model name.
        ConfigError: An unknown or invalid model argument, or a breach of the model contract.
    """
    factory = MODELS.load(name)
    if not callable(factory):
        raise ConfigError(
            f"model '{name}' is a {type(factory).__name__}, not a class or factory function"
        )
    kwargs = convert_args(name, factory, dict(args or {}))
    try:
        model = factory(**kwargs)
    except UserError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad --model-args for model '{name}': {exc}") from exc
    check_model_contract(model, name)
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
