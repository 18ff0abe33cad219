"""The playground's company: each directory person's department, location and start date.

Northwind has five departments of very different sizes and three locations, so a breakdown by
department or location shows some segments and holds back others for having too few people.
Assignments are derived from each reference, so the same program always yields the same
company; they are stored like a real people file's (``surveys.person_attributes``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from adapters.local.directory import DemoDirectory
from surveys import segments
from surveys.person_attributes import store_attributes
from surveys.roster import upsert_people

if TYPE_CHECKING:
    from bot.app import LearnPulse

# (name, weight): shares of the company, largest first.
DEPARTMENTS = (
    ("Engineering", 40),
    ("Sales", 25),
    ("Operations", 20),
    ("Finance", 9),
    ("People", 6),
)
LOCATIONS = (("Lisbon", 40), ("Denver", 40), ("Remote", 20))
LONGEST_TENURE_DAYS = 9 * 365


def _draw(ref: str, salt: str) -> int:
    """A stable number from 0 to 99 for a reference (Python's ``hash`` changes between runs)."""
    digest = hashlib.sha256(f"{salt}:{ref}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


def _pick(options: Sequence[tuple[str, int]], roll: int) -> str:
    for name, weight in options:
        if roll < weight:
            return name
        roll -= weight
    return options[-1][0]


def attributes_for(ref: str, today: date, *, pilot: bool = False) -> dict[str, str]:
    """One person's department, location and start date; a workstream's pilot runs at
    headquarters (the first location), as pilots often do at one site."""
    days = _draw(ref, "tenure") * _draw(ref, "tenure-2") * LONGEST_TENURE_DAYS // 9_801
    return {
        "department": _pick(DEPARTMENTS, _draw(ref, "department")),
        "location": LOCATIONS[0][0] if pilot else _pick(LOCATIONS, _draw(ref, "location")),
        "start_date": (today - timedelta(days=days + 30)).isoformat(),
    }


def store_company(core: LearnPulse, directory: DemoDirectory) -> int:
    """Store everyone's attributes (people created as the audience refresh would) and put them
    in their segments; how many."""
    today = core.clock.now().date()
    members = [m for ref in sorted(directory.people) for m in directory.members(ref)]
    stored = upsert_people(core.engine, members)
    pilots = {ref for workstream in core.require_program().workstreams for ref in workstream.pilot}
    store_attributes(
        core.engine,
        core.vault,
        {
            person.id: attributes_for(ref, today, pilot=ref in pilots)
            for ref, person in stored.items()
        },
    )
    segments.assign(core.engine, core.vault, core.program, today)
    return len(stored)
