"""Synthetic sample districts for the demo, scenarios, tests and benchmarks (off the main path)."""
