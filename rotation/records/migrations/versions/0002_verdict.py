"""A plan run keeps its verdict: whether it may be sent up (approvable) and the notice saying
why not; runs kept before this revision are taken as approvable with no notice. An input
snapshot keeps its schools' names beside the checked data (history pages and certificates
name schools without loading a whole district); NULL for snapshots kept before. A new table
keeps each approved year's statistics once computed (derived data: recomputed when missing,
left out of backups).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_runs", recreate="never") as batch:
        batch.add_column(
            sa.Column("approvable", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("notice", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("input_snapshots", recreate="never") as batch:
        batch.add_column(sa.Column("school_names", sa.JSON(), nullable=True))
    op.create_table(
        "year_statistics",
        sa.Column("plan_run_id", sa.String(32), sa.ForeignKey("plan_runs.id"), primary_key=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("year_statistics")
    with op.batch_alter_table("input_snapshots", recreate="never") as batch:
        batch.drop_column("school_names")
    with op.batch_alter_table("plan_runs", recreate="never") as batch:
        batch.drop_column("notice")
        batch.drop_column("approvable")
