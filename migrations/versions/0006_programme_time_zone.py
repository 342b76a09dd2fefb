"""A loyalty programme's time zone: where its campaign days, birthday months and period
boundaries are counted. Existing programmes keep counting in UTC, as they did.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE loyalty_programmes ADD COLUMN time_zone TEXT DEFAULT 'UTC' NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE loyalty_programmes DROP COLUMN time_zone")
