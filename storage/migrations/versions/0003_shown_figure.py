"""shown_figure: the counts behind every figure shown, for the no-subtraction rule

Until now only posted digests remembered what they showed (``posted_digest.summary``); status,
reviews and on-demand views remembered nothing. The counts those digests recorded are carried
over, so the rule keeps holding for the periods they covered.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 14:00:00
"""

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    shown = op.create_table(
        "shown_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workstream_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("part", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("first_shown_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "workstream_id",
            "subject",
            "part",
            "period_start",
            "period_end",
            "people",
            "answers",
            name="uq_shown_figure",
        ),
    )
    op.create_index(
        "ix_shown_figure_period", "shown_figure", ["workstream_id", "period_start"], unique=False
    )
    connection = op.get_bind()
    posted = connection.execute(
        sa.text(
            "SELECT workstream_id, period_start, period_end, summary FROM posted_digest "
            "WHERE kind = 'digest' AND workstream_id IS NOT NULL"
        )
    ).all()
    rows: dict[tuple[object, ...], dict[str, object]] = {}
    now = datetime.now(UTC)
    for workstream_id, start_value, end_value, summary in posted:
        start, end = _date(start_value), _date(end_value)
        document = json.loads(summary) if isinstance(summary, str) else (summary or {})
        counts: list[tuple[str, str, int]] = []
        for part, figure in (("all", "responses"), ("pilot", "pilot"), ("rest", "rest")):
            for question_id, count in (document.get(figure) or {}).items():
                counts.append((str(question_id), part, int(count)))
        if document.get("comments"):
            counts.append(("comments", "all", int(document["comments"])))
        for subject, part, count in counts:
            key = (workstream_id, subject, part, start, end, count)
            rows[key] = {
                "workstream_id": workstream_id,
                "subject": subject,
                "part": part,
                "period_start": start,
                "period_end": end,
                "people": count,
                "answers": count,
                "first_shown_at": now,
            }
    if rows:
        op.bulk_insert(shown, list(rows.values()))


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def downgrade() -> None:
    op.drop_index("ix_shown_figure_period", table_name="shown_figure")
    op.drop_table("shown_figure")
