"""Alembic migrations of the records (env.py; one file per revision under versions/)."""
