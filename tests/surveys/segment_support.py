"""People with attributes, answers that carry their segment, and a program that segments by
them: the setting of the segment tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from itertools import count

from sqlalchemy import select

from bot.app import LearnPulse
from bot.ports import Member
from storage.tables import Answer
from surveys import roster, segments
from surveys.person_attributes import store_attributes
from surveys.segments import PEOPLE
from tests.bot.test_report_support import occurrence

_serial = count(1)
TODAY = date(2026, 11, 30)


def segment_by(core: LearnPulse, workstream: str, attributes: Sequence[str]) -> None:
    """The loaded program, with ``workstream`` broken down by ``attributes``."""
    program = core.require_program()
    changed = [
        w.model_copy(update={"segments": list(attributes)}) if w.id == workstream else w
        for w in program.workstreams
    ]
    core.program = program.model_copy(update={"workstreams": changed})
    segments.assign(core.engine, core.vault, core.program, TODAY)


def population(core: LearnPulse, groups: Sequence[tuple[Mapping[str, str], int]]) -> list[str]:
    """``count`` new people with each set of attributes, in order; their references."""
    refs: list[str] = []
    wanted: dict[str, Mapping[str, str]] = {}
    for attributes, size in groups:
        for _ in range(size):
            ref = f"slack:USEG{next(_serial):06d}"
            refs.append(ref)
            wanted[ref] = attributes
    stored = roster.upsert_people(core.engine, [Member(ref) for ref in refs])
    store_attributes(
        core.engine, core.vault, {stored[ref].id: dict(attrs) for ref, attrs in wanted.items()}
    )
    segments.assign(core.engine, core.vault, core.program, TODAY)
    return refs


def answer(
    core: LearnPulse,
    workstream: str,
    question: str,
    day: date,
    scores: Mapping[str, float],
    pilot: frozenset[str] = frozenset(),
) -> None:
    """Each person's score, their segment copied onto the answer as a click does."""
    occ = occurrence(core, workstream, question, day)
    with core.engine.connect() as connection:
        segment_of = {
            str(ref): segment
            for ref, segment in connection.execute(
                select(PEOPLE.c.ref, PEOPLE.c.segment_id).where(PEOPLE.c.ref.in_(list(scores)))
            )
        }
    with core.session() as session:
        for ref, score in scores.items():
            session.add(
                Answer(
                    occurrence_id=occ,
                    question_id=question,
                    workstream_id=workstream,
                    respondent_key=core.vault.respondent_key(ref),
                    value=str(int(score)),
                    score=float(score),
                    in_pilot=ref in pilot,
                    answered_on=day,
                    segment_id=segment_of[ref],
                )
            )
