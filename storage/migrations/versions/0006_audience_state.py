"""audience_state: when each workstream's audience was last resolved

An audience resolved less than ``LEARNPULSE_AUDIENCE_TTL`` ago is not resolved again for a
survey; the daily refresh stays.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audience_state",
        sa.Column("workstream_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("resolved_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workstream_id"),
    )


def downgrade() -> None:
    op.drop_table("audience_state")
