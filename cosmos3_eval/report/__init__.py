"""Static HTML report."""
