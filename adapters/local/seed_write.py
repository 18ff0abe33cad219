"""The playground's seeded history written as clicks would have stored it: the deliveries, then
the answers with their sealed comment, its sentiment and its themes, and, in ``confidential``
mode, the segment their person is in (``anonymous`` answers carry none, as clicked ones)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import insert, select
from sqlmodel import Session, col

from storage.tables import Answer, Delivery, PersonRecord
from surveys import theme_writes, themes
from surveys.roster import chunks
from surveys.sentiment import polarity

if TYPE_CHECKING:
    from bot.app import LearnPulse


class Written(Protocol):
    """An answer about to be written: whose, its row, and its comment if any."""

    ref: str
    comment: str | None
    row: dict[str, Any]


@cache
def _polarity(text: str) -> float:
    return polarity(text)


def write_history(
    core: LearnPulse, session: Session, deliveries: Sequence[Mapping[str, Any]],
    given: Sequence[Written],
) -> int:  # fmt: skip
    """Write the deliveries and answers; how many answers."""
    program = core.require_program()
    if deliveries:
        session.execute(insert(Delivery), list(deliveries))
    segments = (
        _segments(session, {g.ref for g in given})
        if program.anonymity.mode == "confidential"
        else {}
    )
    rows = [
        one.row
        | {
            "comment": core.vault.encrypt(one.comment) if one.comment else None,
            "sentiment": _polarity(one.comment) if one.comment else None,
            "segment_id": segments.get(one.ref),
        }
        for one in given
    ]
    if rows:  # ids in the order of the rows, to store the comments' themes with them
        ids = session.execute(
            insert(Answer).returning(col(Answer.id), sort_by_parameter_order=True), rows
        ).scalars()
        found = {
            int(answer_id): themes.extract(one.comment, program.themes)
            for answer_id, one in zip(ids, given, strict=True)
            if one.comment
        }
        theme_writes.store(session.connection(), core.vault, found)
    return len(rows)


def _segments(session: Session, refs: set[str]) -> dict[str, int]:
    """Each person's segment, by reference (people in none left out)."""
    out: dict[str, int] = {}
    for part in chunks(sorted(refs)):
        found = session.execute(
            select(col(PersonRecord.ref), col(PersonRecord.segment_id)).where(
                col(PersonRecord.ref).in_(part), col(PersonRecord.segment_id).is_not(None)
            )
        )
        out.update({str(ref): int(segment) for ref, segment in found})
    return out
