"""Reference models trained on the suite's own exported data (see scripts/train_reference.py)."""
