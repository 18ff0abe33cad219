"""attribute_value, person_attribute, segment, theme, answer_theme; person and answer
segment_id: people attributes, segments and comment themes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attribute_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attribute", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("attribute", "digest", name="uq_attribute_value"),
    )
    op.create_table(
        "person_attribute",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("attribute", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["value_id"], ["attribute_value.id"]),
        sa.PrimaryKeyConstraint("person_id", "attribute"),
    )
    op.create_index("ix_person_attribute_value_id", "person_attribute", ["value_id"], unique=False)
    op.create_table(
        "segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signature"),
    )
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_table(
        "answer_theme",
        sa.Column("answer_id", sa.BigInteger(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["theme_id"], ["theme.id"]),
        sa.PrimaryKeyConstraint("answer_id", "theme_id"),
    )
    op.create_index("ix_answer_theme_theme_id", "answer_theme", ["theme_id"], unique=False)
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_person_segment_id", "segment", ["segment_id"], ["id"])
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("segment_id")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint("fk_person_segment_id", type_="foreignkey")
        batch_op.drop_column("segment_id")
    op.drop_index("ix_answer_theme_theme_id", table_name="answer_theme")
    op.drop_table("answer_theme")
    op.drop_table("theme")
    op.drop_table("segment")
    op.drop_index("ix_person_attribute_value_id", table_name="person_attribute")
    op.drop_table("person_attribute")
    op.drop_table("attribute_value")
