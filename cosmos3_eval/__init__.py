"""cosmos3-eval: simulation-in-the-loop evaluation of physical-AI omnimodels.

Importing the package is light: torch, mujoco, robosuite, ray and transformers are imported
only by the registry entries that need them.
"""

__version__ = "0.1.0"
