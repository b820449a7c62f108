"""Simulation helpers: headless rendering, scene builders, envs. Imports mujoco lazily."""
