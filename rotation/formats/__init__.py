"""File formats: reading and writing the bureau's workbooks, CSV and JSON, the plan JSON."""
