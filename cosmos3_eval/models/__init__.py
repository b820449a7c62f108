"""Models: baselines and adapters. Registered lazily in :mod:`cosmos3_eval.api.registry`."""
