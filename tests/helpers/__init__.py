"""Test doubles: a toy benchmark, a fault-injecting env and server, server subprocess helpers.

Nothing here is registered in a production registry; tests name these by ``module:attr``
(e.g. ``tests.helpers.faulty_env:FaultyEnv``), which also works in spawned worker processes
because ``tests/conftest.py`` puts the repository root on ``PYTHONPATH``.
"""
