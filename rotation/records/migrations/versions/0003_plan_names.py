"""A plan run has a name and a note (several saved plans per school year, one of them chosen
for 公示 and approval); runs kept before this revision have neither.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_runs", recreate="never") as batch:
        batch.add_column(sa.Column("name", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("plan_runs", recreate="never") as batch:
        batch.drop_column("note")
        batch.drop_column("name")
