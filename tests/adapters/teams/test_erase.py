"""Erasure through Teams: asked in a channel, it is still the last word about the person."""

from __future__ import annotations

from sqlmodel import select

from adapters.teams import store
from storage.tables import ConversationReference, PersonRecord
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness

PERSON = f"teams:{a.EMPLOYEE_AAD}"


def stored_keys(teams: TeamsHarness) -> set[str]:
    with teams.core.session() as session:
        return set(session.exec(select(ConversationReference.key)).all())


async def test_erase_asked_in_a_channel_leaves_no_reference_and_no_waiting_file(
    teams: TeamsHarness,
) -> None:
    url = teams.connector.url
    await teams.post(a.personal_install(url, a.EMPLOYEE_AAD))
    await teams.post(a.personal_message(url, a.EMPLOYEE_AAD, "learning-mydata export"))
    assert PERSON in stored_keys(teams)
    assert any(key.startswith(store.FILE_PREFIX) for key in stored_keys(teams))
    before = len(teams.connector.posted())

    status, _ = await teams.post(
        a.channel_message(url, a.EMPLOYEE_AAD, "learning-mydata erase confirm")
    )

    assert status == 200
    replies = teams.connector.posted()[before:]
    assert len(replies) == 1 and "Done:" in str(replies[0].body["attachments"])
    assert replies[0].conversation in {c.conversation for c in teams.connector.created()}
    assert stored_keys(teams) == {f"teams:channel:{a.CHANNEL_ID}", f"teams:team:{a.TEAM_ID}"}
    for key in stored_keys(teams):  # what is left points at the channel, not at the person
        document = store.load(teams.core, key)
        assert document is not None and a.EMPLOYEE_AAD not in str(document)
    with teams.core.session() as session:
        assert session.exec(select(PersonRecord).where(PersonRecord.ref == PERSON)).all() == []
