"""References in Teams cards: people by their display name, channels by their part, no ids."""

from __future__ import annotations

from typing import Any

from adapters.teams import render
from adapters.teams.names import DIGEST_CHANNEL, REVIEW_CHANNEL, TeamsNames, names_for
from bot.app import LearnPulse
from bot.messages import Report, Section
from storage.tables import PersonRecord
from tests.adapters.teams.cardcheck import CardChecker
from tests.support import nodes_where

ADMIN = "teams:86022fb8-fba3-4628-a19b-c2495810d356"  # an admin of the example program
STRANGER = "teams:00000000-0000-4000-8000-0000000000ff"


def _posted(channel: str, person: str) -> Report:
    return Report(
        title="LearnPulse",
        summary=f"Posted the lms digest to {channel}.",
        sections=(Section("Asked by", (f"{person} asked for it.",)),),
    )


def _texts(card: dict[str, Any]) -> str:
    return " ".join(str(b["text"]) for b in nodes_where(card, lambda n: "text" in n))


def test_a_card_names_a_known_person_and_the_digest_channel(
    core: LearnPulse, cards: CardChecker
) -> None:
    program = core.require_program()
    channel = "teams:channel:19:digest123@thread.tacv2"
    digest_ws = program.workstreams[0].model_copy(update={"digest_to": channel})
    core.program = program.model_copy(update={"workstreams": [digest_ws, *program.workstreams[1:]]})
    with core.session() as session:
        session.add(PersonRecord(ref=ADMIN, display_name="Ana Almeida"))
    report = _posted(channel, ADMIN.upper().replace("TEAMS:", "teams:"))
    card = render.report_card(report, names_for(core, report))
    texts = _texts(card)
    assert f"Posted the lms digest to {DIGEST_CHANNEL}." in texts
    assert "Ana Almeida asked for it." in texts
    assert "19:digest123" not in str(card) and "86022fb8" not in str(card).lower()
    cards.assert_valid(card)


def test_without_a_name_a_reference_is_said_in_words() -> None:
    names = TeamsNames(people={}, review_channel="teams:channel:19:review@thread.tacv2")
    report = _posted("teams:channel:19:review@thread.tacv2", STRANGER)
    texts = _texts(render.report_card(report, names))
    assert f"to {REVIEW_CHANNEL}." in texts and "a Teams user asked for it." in texts
    plain = _texts(render.report_card(_posted("teams:channel:19:other@thread.skype", STRANGER)))
    assert "to a Teams channel." in plain and "thread" not in plain
