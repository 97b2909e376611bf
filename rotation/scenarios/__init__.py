"""What-if scenarios: the scenario file (.toml) and the edits it makes to a district."""
