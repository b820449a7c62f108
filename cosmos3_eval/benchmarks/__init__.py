"""Benchmark adapters: QA, T2I, I2V, world-model and policy families."""
