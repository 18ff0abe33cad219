"""What a Teams card calls the people and channels the core names by reference.

An Adaptive Card has no mention syntax the bot could use in a report, and an id
(``teams:channel:19:…@thread.tacv2``) means nothing to a reader. A person is shown by the
display name Teams last gave for them; a channel by what it is to the program (the digest or
the review channel), since Teams does not tell the bot a channel's name; anything else in words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.messages import Report
from storage.tables import PersonRecord
from surveys.program import Program
from surveys.references import RefKind, described, kind_of, name_references, platform_of

if TYPE_CHECKING:
    from bot.app import LearnPulse

DIGEST_CHANNEL = "the digest channel"
REVIEW_CHANNEL = "the review channel"


@dataclass(frozen=True)
class TeamsNames:
    """Names for references: people by display name, channels by their part in the program."""

    people: Mapping[str, str]
    digest_channels: frozenset[str] = frozenset()
    review_channel: str | None = None

    @classmethod
    def of(cls, program: Program | None, people: Mapping[str, str]) -> TeamsNames:
        if program is None:
            return cls(people)
        return cls(
            people,
            frozenset(w.digest_to for w in program.workstreams),
            program.review.to if program.review else None,
        )

    def __call__(self, ref: str) -> str:
        kind = kind_of(ref)
        if platform_of(ref) != "teams":
            return described(ref)
        if kind is RefKind.PERSON:
            return self.people.get(ref.lower()) or described(ref)
        if kind is RefKind.CHANNEL and ref == self.review_channel:
            return REVIEW_CHANNEL
        if kind is RefKind.CHANNEL and ref in self.digest_channels:
            return DIGEST_CHANNEL
        return described(ref)


def references_of(report: Report) -> set[str]:
    """Every reference the report's text holds."""
    found: set[str] = set()

    def note(ref: str) -> str:
        found.add(ref)
        return ref

    report.rewritten(lambda text: name_references(text, note))
    return found


def names_for(core: LearnPulse, report: Report) -> Callable[[str], str]:
    """The names of what ``report`` refers to (reads the people it names; run in a thread)."""
    people = sorted(
        ref.lower()
        for ref in references_of(report)
        if kind_of(ref) is RefKind.PERSON and platform_of(ref) == "teams"
    )
    known: dict[str, str] = {}
    if people:
        with core.reading() as session:
            rows = session.exec(
                select(PersonRecord.ref, PersonRecord.display_name).where(
                    col(PersonRecord.ref).in_(people)
                )
            ).all()
        known = {ref: name for ref, name in rows if name}
    return TeamsNames.of(core.program, known)
