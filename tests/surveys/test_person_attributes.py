"""People's attributes stored encrypted, one row per distinct value, replaced as a set."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text

from bot.app import LearnPulse
from bot.ports import Member
from storage.tables import PersonRecord
from surveys import roster
from surveys.person_attributes import (
    LINKS,
    VALUES,
    attributes_of,
    erase_attributes,
    store_attributes,
    value_ids_of,
)


def _people(engine: Engine, n: int) -> list[int]:
    stored = roster.upsert_people(engine, [Member(f"slack:UA{i:04d}") for i in range(n)])
    return sorted(s.id for s in stored.values())


def test_values_are_shared_encrypted_and_replaced_per_person(core: LearnPulse) -> None:
    engine, vault = core.engine, core.vault
    a, b, c = _people(engine, 3)
    store_attributes(
        engine,
        vault,
        {
            a: {"department": "Engineering", "location": "Lisbon"},
            b: {"department": "Engineering", "location": "Denver"},
            c: {"department": "Sales"},
        },
    )
    with engine.begin() as connection:
        ids = value_ids_of(connection, [a, b, c])
        stored_text = " ".join(str(v) for v in connection.execute(select(VALUES.c.value)).scalars())
    assert ids[a]["department"] == ids[b]["department"] != ids[c]["department"]
    assert "Engineering" not in stored_text and "Lisbon" not in stored_text
    assert attributes_of(engine, vault, [b]) == {
        b: {"department": "Engineering", "location": "Denver"}
    }

    # A new import for b replaces b's attributes as a whole; a and c are untouched, and the
    # value only b had (Denver) is gone with it.
    store_attributes(engine, vault, {b: {"department": "Sales"}})
    assert attributes_of(engine, vault, [a, b, c]) == {
        a: {"department": "Engineering", "location": "Lisbon"},
        b: {"department": "Sales"},
        c: {"department": "Sales"},
    }
    with engine.begin() as connection:
        assert connection.execute(select(func.count()).select_from(VALUES)).scalar_one() == 3


def test_erase_removes_links_and_values_only_that_person_had(core: LearnPulse) -> None:
    engine, vault = core.engine, core.vault
    a, b = _people(engine, 2)
    store_attributes(
        engine,
        vault,
        {a: {"department": "Sales", "manager": "Ana Ruiz"}, b: {"department": "Sales"}},
    )
    with engine.begin() as connection:
        erase_attributes(connection, a)
    assert attributes_of(engine, vault, [a, b]) == {b: {"department": "Sales"}}
    with engine.begin() as connection:
        assert connection.execute(select(func.count()).select_from(VALUES)).scalar_one() == 1
        assert (
            connection.execute(
                select(func.count()).select_from(LINKS).where(LINKS.c.person_id == a)
            ).scalar_one()
            == 0
        )
        assert connection.execute(text("select count(*) from person")).scalar_one() == 2
    assert PersonRecord.__tablename__ == "person"


def test_a_bad_attribute_name_is_refused_before_anything_is_written(core: LearnPulse) -> None:
    engine, vault = core.engine, core.vault
    (a,) = _people(engine, 1)
    try:
        store_attributes(engine, vault, {a: {"Department; drop": "x"}})
    except ValueError as error:
        assert "Department; drop" in str(error)
    else:
        raise AssertionError("a bad attribute name was accepted")
    with engine.begin() as connection:
        assert connection.execute(select(func.count()).select_from(VALUES)).scalar_one() == 0
