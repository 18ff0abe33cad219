"""People's attributes (department, location, manager, start date…), stored encrypted.

Each distinct value of an attribute is one ``attribute_value`` row: the value sealed by the vault,
made unique by a keyed digest of attribute and value, so equal values share a row (and a
breakdown can group people by value id) without anyone decrypting them. ``person_attribute``
links a person to the value of each of their attributes. Writes are sets: each chunk of people is
one short transaction, their links deleted in one statement and inserted by one statement
executed over all the chunk's rows (compiled once and cached, not a multi-row ``VALUES`` that
SQLAlchemy would compile afresh for every chunk).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, delete, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.crypto import Vault
from storage.db import reading, write_gate
from storage.tables import AttributeValue, PersonAttribute, table_of
from surveys.roster import chunks

VALUES = table_of(AttributeValue)
LINKS = table_of(PersonAttribute)
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_VALUE_LENGTH = 200
DIGEST_KIND = "attribute"


def valid_attribute(name: str) -> bool:
    """Attribute names are short lower-case words (``department``, ``start_date``)."""
    return bool(ATTRIBUTE_NAME.match(name))


def _digest(vault: Vault, attribute: str, value: str) -> str:
    return vault.digest(DIGEST_KIND, f"{attribute}\x00{value}")


def store_attributes(
    engine: Engine, vault: Vault, attributes: Mapping[int, Mapping[str, str]]
) -> int:
    """Make each listed person's attributes exactly ``attributes[person_id]`` (an empty value
    removes that attribute); people not listed are untouched. Returns the links written."""
    for values in attributes.values():
        for name in values:
            if not valid_attribute(name):
                raise ValueError(f"not an attribute name: {name!r}")
    ids = _value_ids(
        engine,
        vault,
        {
            (name, value)
            for values in attributes.values()
            for name, value in values.items()
            if value
        },
    )
    link = insert(LINKS)
    people = list(attributes)
    written = 0
    for part in chunks(people):
        rows = [
            {"person_id": person, "attribute": name, "value_id": ids[(name, value)]}
            for person in part
            for name, value in attributes[person].items()
            if value
        ]
        with write_gate(engine), engine.begin() as connection:
            connection.execute(delete(LINKS).where(LINKS.c.person_id.in_(part)))
            if rows:
                connection.execute(link, rows)  # one statement, many rows: compiled once
        written += len(rows)
    with write_gate(engine), engine.begin() as connection:
        drop_unused_values(connection)
    return written


def _value_ids(
    engine: Engine, vault: Vault, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The id of each (attribute, value), inserting the values not stored yet."""
    digests = {_digest(vault, name, value): (name, value) for name, value in pairs}
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    new_value = dialect.insert(VALUES).on_conflict_do_nothing()
    out: dict[tuple[str, str], int] = {}
    keys = list(digests)
    for part in chunks(keys):
        rows = [
            {
                "attribute": digests[d][0],
                "digest": d,
                "value": vault.encrypt(digests[d][1][:MAX_VALUE_LENGTH]),
            }
            for d in part
        ]
        with write_gate(engine), engine.begin() as connection:
            connection.execute(new_value, rows)
            found = connection.execute(
                select(VALUES.c.id, VALUES.c.digest).where(VALUES.c.digest.in_(part))
            )
            for value_id, digest in found:
                out[digests[digest]] = int(value_id)
    return out


def value_ids_of(
    connection: Connection, person_ids: Iterable[int] | None = None
) -> dict[int, dict[str, int]]:
    """Person id -> attribute -> value id, without decrypting anything (``None``: everyone)."""
    statement = select(LINKS.c.person_id, LINKS.c.attribute, LINKS.c.value_id)
    out: dict[int, dict[str, int]] = {}
    wanted = None if person_ids is None else list(person_ids)
    parts = [None] if wanted is None else list(chunks(wanted))
    for part in parts:
        query = statement if part is None else statement.where(LINKS.c.person_id.in_(part))
        for person_id, attribute, value_id in connection.execute(query):
            out.setdefault(int(person_id), {})[str(attribute)] = int(value_id)
    return out


def labels(connection: Connection, vault: Vault, value_ids: Iterable[int]) -> dict[int, str]:
    """Value id -> its decrypted text, for showing a segment's name."""
    out: dict[int, str] = {}
    for part in chunks(list(set(value_ids))):
        for value_id, sealed in connection.execute(
            select(VALUES.c.id, VALUES.c.value).where(VALUES.c.id.in_(part))
        ):
            out[int(value_id)] = vault.decrypt(str(sealed))
    return out


def attributes_of(
    engine: Engine, vault: Vault, person_ids: Iterable[int]
) -> dict[int, dict[str, str]]:
    """Person id -> attribute -> value, decrypted (for a person's own export)."""
    with reading(engine).begin() as connection:
        ids = value_ids_of(connection, person_ids)
        text = labels(connection, vault, (v for values in ids.values() for v in values.values()))
    return {
        person: {name: text[value_id] for name, value_id in sorted(values.items())}
        for person, values in ids.items()
    }


def erase_attributes(connection: Connection, person_id: int) -> None:
    """Remove a person's attributes, and any value nobody else has (it could name them)."""
    connection.execute(delete(LINKS).where(LINKS.c.person_id == person_id))
    drop_unused_values(connection)


def drop_unused_values(connection: Connection) -> Any:
    """Delete attribute values no person links to any more."""
    used = exists().where(LINKS.c.value_id == VALUES.c.id)
    return connection.execute(delete(VALUES).where(~used))
