"""Executors: where samples and episodes run (in-process, process pool, Ray)."""
