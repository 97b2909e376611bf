"""The `rotation` command line (typer): commands parse arguments, call rotation.service, print."""
