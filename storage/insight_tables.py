"""Tables of insight: people's attributes (values encrypted, unique by a keyed digest),
segments (combinations of values that answers carry) and comment themes."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class AttributeValue(SQLModel, table=True):
    """One value of a people attribute (department "Engineering"), encrypted. ``digest`` is a
    keyed hash of attribute and value: it makes the value unique without decrypting it."""

    __tablename__ = "attribute_value"
    __table_args__ = (UniqueConstraint("attribute", "digest", name="uq_attribute_value"),)

    id: int | None = Field(default=None, primary_key=True)
    attribute: str
    digest: str
    value: str = Field(sa_column=Column(Text, nullable=False))  # encrypted


class PersonAttribute(SQLModel, table=True):
    """A person's value of one attribute, from ``learnpulse people import`` or ``people:``."""

    __tablename__ = "person_attribute"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    attribute: str = Field(primary_key=True)
    value_id: int = Field(foreign_key="attribute_value.id", index=True)


class Segment(SQLModel, table=True):
    """A combination of attribute values people share (department 3, location 7, tenure 12):
    answers carry its id, so a breakdown groups answers by segment in the database.
    ``signature`` lists the attribute value ids, ``attribute=id`` joined by ``;``, sorted."""

    __tablename__ = "segment"

    id: int | None = Field(default=None, primary_key=True)
    signature: str = Field(sa_column=Column(Text, nullable=False, unique=True))


class Theme(SQLModel, table=True):
    """A comment theme (a normalized noun phrase), encrypted; ``digest`` makes it unique."""

    __tablename__ = "theme"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(unique=True)
    label: str = Field(sa_column=Column(Text, nullable=False))  # encrypted


class AnswerTheme(SQLModel, table=True):
    """A theme mentioned in an answer's comment."""

    __tablename__ = "answer_theme"

    answer_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    theme_id: int = Field(foreign_key="theme.id", primary_key=True, index=True)
