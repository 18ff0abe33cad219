"""answer: extended statistics on the columns digests group by (PostgreSQL)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:00:00

PostgreSQL estimates the groups of ``GROUP BY workstream_id, question_id, in_pilot, score`` by
multiplying each column's distinct values, as if they were independent: tens of thousands of
groups where there are a few hundred (a question belongs to one workstream, a score to one
kind of question). Expecting that many, it sorts every answer of the periods and spills the sort
to disk instead of hashing them in memory. ``ndistinct`` statistics on the grouped columns give
it the real number. SQLite has nothing of the kind and needs nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATISTICS = {
    "st_answer_groups": "workstream_id, question_id, in_pilot, score",
    "st_answer_segment_groups": "workstream_id, question_id, segment_id, in_pilot, score",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, columns in STATISTICS.items():
        op.execute(f"CREATE STATISTICS IF NOT EXISTS {name} (ndistinct) ON {columns} FROM answer")
    op.execute("ANALYZE answer")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in STATISTICS:
        op.execute(f"DROP STATISTICS IF EXISTS {name}")
