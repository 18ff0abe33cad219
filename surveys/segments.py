"""Segments: which combination of attribute values a person belongs to.

A workstream names the attributes it breaks its results down by (``segments: [department,
location]``). A person's segment is their values of every attribute any workstream segments by:
a ``segment`` row whose ``signature`` lists the value ids (``department=3;location=7``), built
without decrypting anything. ``tenure`` is the one derived attribute: a band of the person's
``start_date`` (``< 1 year``, ``1-3 years``, ``3-5 years``, ``5+ years``), written ``tenure=t2``.

Assignment works in sets: every person's signature is computed in Python from one read of the
attribute links, new signatures are inserted in one statement, and only people whose segment
changed are updated, a chunk per short transaction. It runs when the program is loaded, when
attributes are stored and when audiences are refreshed. In ``confidential`` mode an answer copies
its person's segment when it is written; in ``anonymous`` mode answers never carry one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.crypto import Vault
from storage.db import reading, write_gate
from storage.tables import PersonRecord, Segment, table_of
from surveys.person_attributes import labels, value_ids_of
from surveys.program import Program
from surveys.roster import chunks
from surveys.tenure import BANDS, NOT_STARTED, tenure_band

SEGMENTS = table_of(Segment)
PEOPLE = table_of(PersonRecord)
TENURE = "tenure"
START_DATE = "start_date"
TENURE_BANDS = BANDS
UNSET = ""  # value key of a person without a value for the attribute

_SET_SEGMENT = (
    update(PEOPLE)
    .where(PEOPLE.c.id == bindparam("person_id"))
    .values(segment_id=bindparam("new_segment"))
)


def segmented_attributes(program: Program) -> list[str]:
    """Every attribute some workstream breaks its results down by, sorted."""
    return sorted({name for ws in program.workstreams for name in ws.segments})


def signature(values: Mapping[str, str]) -> str:
    """``attribute=value key`` pairs, sorted, joined by ``;`` (unset values left out)."""
    return ";".join(f"{name}={values[name]}" for name in sorted(values) if values[name])


def parse_signature(text: str) -> dict[str, str]:
    """Attribute -> value key of a signature."""
    return dict(part.split("=", 1) for part in text.split(";") if part)


def value_label(attribute: str, key: str, names: Mapping[int, str]) -> str:
    """What a value key reads as: a tenure band, a decrypted value, or "not recorded"."""
    if key == UNSET:
        return "not recorded"
    if attribute == TENURE:
        return TENURE_BANDS[int(key[1:])]
    return names.get(int(key), "unknown")


def value_labels(
    connection: Connection, vault: Vault, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(attribute, value key) -> its label, decrypting each stored value once."""
    wanted = set(keys)
    ids = [int(key) for name, key in wanted if key != UNSET and name != TENURE]
    names = labels(connection, vault, ids) if ids else {}
    return {(name, key): value_label(name, key, names) for name, key in wanted}


def assign(engine: Engine, vault: Vault, program: Program | None, today: date) -> int:
    """Give every person the segment of their values; returns how many people changed."""
    attributes = segmented_attributes(program) if program is not None else []
    if not attributes:
        return _clear_segments(engine)
    with reading(engine).begin() as connection:
        links = value_ids_of(connection)
        current = {
            int(person): segment
            for person, segment in connection.execute(select(PEOPLE.c.id, PEOPLE.c.segment_id))
        }
        starts = _start_bands(connection, vault, links, today) if TENURE in attributes else {}
    wanted: dict[int, str] = {}
    for person in current:
        values = {name: _key_of(name, links.get(person, {}), starts) for name in attributes}
        wanted[person] = signature(values)
    ids = _segment_ids(engine, {s for s in wanted.values() if s})
    changes = [
        {"person_id": person, "new_segment": ids.get(sig)}
        for person, sig in wanted.items()
        if ids.get(sig) != current[person]
    ]
    for part in chunks(changes):
        with write_gate(engine), engine.begin() as connection:
            connection.execute(_SET_SEGMENT, part)
    return len(changes)


def _clear_segments(engine: Engine) -> int:
    """Nothing is segmented: only people still carrying a segment change. A refresh of 100,000
    people reads none of them into Python for this (it was 0.15 s of a cold refresh)."""
    with reading(engine).begin() as connection:
        carrying = list(
            connection.execute(select(PEOPLE.c.id).where(PEOPLE.c.segment_id.is_not(None)))
            .scalars()
            .all()
        )
    for part in chunks(carrying):
        with write_gate(engine), engine.begin() as connection:
            connection.execute(update(PEOPLE).where(PEOPLE.c.id.in_(part)).values(segment_id=None))
    return len(carrying)


def _key_of(name: str, values: Mapping[str, int], starts: Mapping[int, int]) -> str:
    if name == TENURE:
        band = starts.get(values.get(START_DATE, -1))
        return UNSET if band is None else f"t{band}"
    value_id = values.get(name)
    return UNSET if value_id is None else str(value_id)


def _start_bands(
    connection: Connection, vault: Vault, links: Mapping[int, Mapping[str, int]], today: date
) -> dict[int, int]:
    """Start-date value id -> tenure band (each distinct date decrypted once)."""
    ids = {values[START_DATE] for values in links.values() if START_DATE in values}
    out: dict[int, int] = {}
    for value_id, text in labels(connection, vault, ids).items():
        try:
            band = tenure_band(text.strip(), today)
        except ValueError:
            continue  # not a date: the person's tenure is not recorded
        if band != NOT_STARTED:  # someone who has not started yet has no tenure to show
            out[value_id] = BANDS.index(band)
    return out


def _segment_ids(engine: Engine, signatures: set[str]) -> dict[str, int]:
    """The id of each signature, inserting those not stored yet."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    out: dict[str, int] = {}
    for part in chunks(sorted(signatures)):
        with write_gate(engine), engine.begin() as connection:
            connection.execute(
                dialect.insert(SEGMENTS)
                .values([{"signature": s} for s in part])
                .on_conflict_do_nothing()
            )
            found = connection.execute(
                select(SEGMENTS.c.id, SEGMENTS.c.signature).where(SEGMENTS.c.signature.in_(part))
            )
            out.update({str(sig): int(segment_id) for segment_id, sig in found})
    return out


def signatures_of(connection: Connection, segment_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Segment id -> attribute -> value key."""
    out: dict[int, dict[str, str]] = {}
    for part in chunks(sorted(set(segment_ids))):
        for segment_id, text in connection.execute(
            select(SEGMENTS.c.id, SEGMENTS.c.signature).where(SEGMENTS.c.id.in_(part))
        ):
            out[int(segment_id)] = parse_signature(str(text))
    return out
