"""One module per schema revision, oldest first (0001 creates every table)."""
