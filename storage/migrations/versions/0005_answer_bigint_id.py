"""answer.id: 64-bit on PostgreSQL, for random ids of anonymous answers

Anonymous answers get a random id (never in click order) between 1 and 2^62; SQLite's integer
primary key is 64-bit already.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE answer ALTER COLUMN id TYPE BIGINT")
        op.execute("ALTER SEQUENCE IF EXISTS answer_id_seq AS BIGINT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE IF EXISTS answer_id_seq AS INTEGER")
        op.execute("ALTER TABLE answer ALTER COLUMN id TYPE INTEGER")
