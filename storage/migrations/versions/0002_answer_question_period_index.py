"""answer: index by question and date instead of by question alone

Digests count a few questions (key measures, choices) over a run of periods; with only the
single-column index PostgreSQL read every period of those questions and filtered. The composite
index serves that range and, by its prefix, every lookup by question alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 11:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_answer_question_period", ["question_id", "answered_on"], unique=False
        )
        batch_op.drop_index("ix_answer_question_id")


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index("ix_answer_question_id", ["question_id"], unique=False)
        batch_op.drop_index("ix_answer_question_period")
