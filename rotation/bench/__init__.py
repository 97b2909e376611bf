"""The benchmark behind `rotation bench` (off the main path)."""
