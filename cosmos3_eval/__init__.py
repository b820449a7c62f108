"""cosmos3-eval: simulation-in-the-loop evaluation of physical-AI omnimodels.

Importing the package is light: torch, mujoco, robosuite, ray and transformers are imported
only by the registry entries that need them, and the Python API below loads on first use::

    import cosmos3_eval
    results = cosmos3_eval.evaluate("oracle", ["physqa-sim-v1"], limit=20)
    results.to_pandas()  # needs pandas
"""

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "evaluate": "cosmos3_eval.engine.python_api",
    "Results": "cosmos3_eval.engine.python_api",
    "TaskResult": "cosmos3_eval.engine.python_api",
    "Metric": "cosmos3_eval.engine.python_api",
    "ModelInfo": "cosmos3_eval.api.model",
}
"""Public names -> the module that defines them, imported on first attribute access."""

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    # PEP 562: the engine (numpy, pydantic, tqdm, ...) loads only when the API is used.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cosmos3_eval' has no attribute '{name}'")
