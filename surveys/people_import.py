"""Importing the people file: every row matched to a person in chat, then stored in one set.

Nothing is stored until the whole file is read, checked and matched: a person reference is
known when it is stored already or its platform still has the person; an e-mail address, user
principal name or AAD object id is looked up through each enabled chat adapter
(``ChatAdapter.find_people``). A row nobody matches is a problem (``FILE:LINE: message``), or,
with ``skip_unknown``, counted and left out. Then the people are upserted and their attributes
replaced in one set (``surveys.person_attributes.store_attributes``); people the file does not
list keep theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import select

from bot.ports import LookupKind, Member, SendError
from storage.db import reading
from surveys import segments
from surveys.context import Reaching
from surveys.people_file import PERSON_COLUMN, PeopleFile, PeopleFileError, read_people_file
from surveys.person_attributes import store_attributes
from surveys.roster import PEOPLE, chunks, upsert_people

log = logging.getLogger("learnpulse.people")
LOOKUP_CONCURRENCY = 20


class NoDirectory(LookupError):
    """No enabled adapter can look people up the way the file names them."""


@dataclass(frozen=True)
class ImportReport:
    """What an import stored: people, the attribute columns, distinct values, rows skipped."""

    people: int
    attributes: tuple[str, ...]
    values: int
    skipped_lines: tuple[int, ...] = ()

    @property
    def skipped(self) -> int:
        return len(self.skipped_lines)

    def summary(self) -> str:
        names = ", ".join(self.attributes) or "none"
        line = (
            f"imported {self.people} people: {len(self.attributes)} attributes ({names}), "
            f"{self.values} distinct values"
        )
        if self.skipped:
            line += f"; {self.skipped} rows skipped (nobody in chat matches them)"
        return line


async def import_people(
    core: Reaching, path: str | Path, *, skip_unknown: bool = False
) -> ImportReport:
    """Read, match and store a people file; raises ``PeopleFileError`` (nothing stored),
    ``NoDirectory``, or a ``SendError`` when a platform cannot be asked."""
    table = await asyncio.to_thread(read_people_file, path)
    matched = await _match(core, table)
    problems: list[str] = []
    owner: dict[str, int] = {}
    chosen: dict[str, tuple[Member | None, dict[str, str]]] = {}
    skipped: list[int] = []
    for row in table.rows:
        people = matched.get(row.key, [])
        if not people:
            if skip_unknown:
                skipped.append(row.line)
            else:
                problems.append(f"{table.path}:{row.line}: {_unknown(table.by)}")
            continue
        for person, member in people:
            if person in owner:
                problems.append(
                    f"{table.path}:{row.line}: duplicate person (the same as line {owner[person]})"
                )
                continue
            owner[person] = row.line
            chosen[person] = (member, row.attributes)
    if problems:
        raise PeopleFileError(problems)
    report = await asyncio.to_thread(_store, core, chosen, table.attributes, tuple(skipped))
    log.info(
        "people file imported: %d people, %d attributes, %d values, %d skipped",
        report.people,
        len(report.attributes),
        report.values,
        report.skipped,
    )
    return report


def _unknown(by: str) -> str:
    if by == PERSON_COLUMN:
        return "unknown person: not stored and not found in chat"
    return f"unknown person: nobody in chat has this {by}"


Match = list[tuple[str, Member | None]]  # (reference, what the platform said, if it was asked)


async def _match(core: Reaching, table: PeopleFile) -> dict[str, Match]:
    """Each row's key -> the people it names."""
    keys = [row.key for row in table.rows]
    if table.by == PERSON_COLUMN:
        return await _match_references(core, keys)
    by = cast(LookupKind, table.by)  # one of LOOKUP_KINDS: read_people_file checked it
    adapters = core.adapters.enabled()
    if not adapters:
        raise NoDirectory(
            f"no chat adapter is enabled to find people by {by}: set the Slack or Teams "
            "settings, or name people by reference (a 'person' column)"
        )
    found: dict[str, Match] = {}
    for adapter in adapters:
        for key, member in (await adapter.find_people(by, keys)).items():
            found.setdefault(key, []).append((member.person, member))
    return found


async def _match_references(core: Reaching, refs: list[str]) -> dict[str, Match]:
    stored = await asyncio.to_thread(_stored_refs, core, refs)
    found: dict[str, Match] = {ref: [(ref, None)] for ref in refs if ref in stored}
    ask = [ref for ref in refs if ref not in stored and core.adapters.serves(ref)]
    room = asyncio.Semaphore(LOOKUP_CONCURRENCY)

    async def look(ref: str) -> None:
        async with room:
            members = await core.adapters.for_ref(ref).members(ref)
        for member in members:
            if member.person == ref and member.active and not member.is_bot:
                found[ref] = [(ref, member)]

    await asyncio.gather(*(look(ref) for ref in ask))
    return found


def _stored_refs(core: Reaching, refs: list[str]) -> set[str]:
    out: set[str] = set()
    with reading(core.engine).begin() as connection:
        for part in chunks(refs):
            out.update(
                str(r)
                for r in connection.execute(select(PEOPLE.c.ref).where(PEOPLE.c.ref.in_(part)))
            )
    return out


def _store(
    core: Reaching,
    chosen: Mapping[str, tuple[Member | None, dict[str, str]]],
    attributes: tuple[str, ...],
    skipped: tuple[int, ...],
) -> ImportReport:
    new = [member for member, _ in chosen.values() if member is not None]
    ids = {ref: stored.id for ref, stored in upsert_people(core.engine, new).items()}
    missing = [ref for ref in chosen if ref not in ids]
    with reading(core.engine).begin() as connection:
        for part in chunks(missing):
            for person_id, ref in connection.execute(
                select(PEOPLE.c.id, PEOPLE.c.ref).where(PEOPLE.c.ref.in_(part))
            ):
                ids[str(ref)] = int(person_id)
    by_id = {ids[ref]: values for ref, (_, values) in chosen.items()}
    store_attributes(core.engine, core.vault, by_id)
    # New attributes move people between segments at once, not at the next audience refresh.
    segments.assign(core.engine, core.vault, core.program, core.clock.now().date())
    distinct = {(k, v) for values in by_id.values() for k, v in values.items() if v}
    return ImportReport(len(by_id), attributes, len(distinct), skipped)


async def import_program_people(core: Reaching) -> ImportReport | None:
    """The program's ``people:`` file, as ``serve`` imports it on start: rows nobody in chat
    matches are left out and their lines logged (people not in chat yet are usual in an HR
    export); any other problem leaves every stored attribute as it was, logged line by line."""
    program = core.require_program()
    if program.people is None:
        return None
    try:
        report = await import_people(core, program.people, skip_unknown=True)
    except PeopleFileError as exc:
        for line in exc.problems:
            log.error("%s", line)
        log.error("the people file was refused: every stored attribute is kept")
        return None
    except (NoDirectory, SendError) as exc:
        log.error("the people file was not imported: %s", exc)
        return None
    except Exception as exc:  # a database error's text may quote values: its kind only
        log.error("the people file was not imported: %s", type(exc).__name__)
        return None
    for skipped in report.skipped_lines:
        log.warning(
            "%s:%d: unknown person: nobody in chat matches this row", program.people, skipped
        )
    return report
