"""Real-shaped activities posted to /api/messages of the running server (emulator mode)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from adapters.teams import store
from bot.clock import ManualClock
from storage.tables import ConversationReference, PersonRecord
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness, serve_teams, teams_core
from tests.adapters.teams.fake_connector import FakeConnector, running


def card_texts(activity: dict[str, object]) -> str:
    return str(activity.get("attachments"))


async def test_personal_install_stores_an_encrypted_reference_and_welcomes_once(
    teams: TeamsHarness,
) -> None:
    install = a.personal_install(teams.connector.url, a.EMPLOYEE_AAD)
    assert (await teams.post(install))[0] == 200
    key = f"teams:{a.EMPLOYEE_AAD}"
    with teams.core.session() as session:
        row = session.get(ConversationReference, key)
        assert row is not None
        assert a.EMPLOYEE_AAD not in row.reference and "personal" not in row.reference
        person = session.exec(select(PersonRecord).where(PersonRecord.ref == key)).one()
        assert person.timezone == "America/New_York" and person.welcomed_at is not None
    reference = store.load(teams.core, key)
    assert reference is not None
    assert reference["conversation"]["id"] == a.personal_conversation(a.EMPLOYEE_AAD)
    assert reference["serviceUrl"] == teams.connector.url
    assert "activityId" not in reference

    (welcome,) = teams.connector.posted()
    assert welcome.path == f"/v3/conversations/{a.personal_conversation(a.EMPLOYEE_AAD)}/activities"
    assert "replyToId" not in welcome.body
    assert "LearnPulse" in card_texts(welcome.body)

    again = a.installation_update(teams.connector.url, a.EMPLOYEE_AAD, "add")
    assert (await teams.post(again))[0] == 200
    assert len(teams.connector.posted()) == 1  # welcomed once


async def test_uninstall_forgets_the_reference(teams: TeamsHarness) -> None:
    await teams.post(a.installation_update(teams.connector.url, a.EMPLOYEE_AAD, "add"))
    assert store.load(teams.core, f"teams:{a.EMPLOYEE_AAD}") is not None
    await teams.post(a.installation_update(teams.connector.url, a.EMPLOYEE_AAD, "remove"))
    assert store.load(teams.core, f"teams:{a.EMPLOYEE_AAD}") is None


async def test_every_message_refreshes_the_reference(teams: TeamsHarness) -> None:
    async with running(FakeConnector()) as moved:
        teams.adapter.connector.allowed_prefixes.append(moved.url)
        await teams.post(a.personal_message(teams.connector.url, a.EMPLOYEE_AAD, "hello"))
        await teams.post(a.personal_message(moved.url, a.EMPLOYEE_AAD, "hello again"))
        reference = store.load(teams.core, f"teams:{a.EMPLOYEE_AAD}")
        assert reference is not None and reference["serviceUrl"] == moved.url


async def test_a_command_in_the_personal_chat_is_answered_there(teams: TeamsHarness) -> None:
    message = a.personal_message(teams.connector.url, a.ADMIN_AAD, "/learning-survey nope")
    assert (await teams.post(message))[0] == 200
    (reply,) = teams.connector.posted()
    assert reply.conversation == a.personal_conversation(a.ADMIN_AAD)
    assert reply.body["replyToId"] == message["id"]
    assert "No workstream 'nope'" in card_texts(reply.body)
    assert "technical" in card_texts(reply.body)  # an admin may steer every workstream


async def test_a_command_without_the_role_is_refused_without_data(teams: TeamsHarness) -> None:
    message = a.personal_message(teams.connector.url, a.EMPLOYEE_AAD, "learning-survey nope")
    await teams.post(message)
    (reply,) = teams.connector.posted()
    assert "not allowed" in card_texts(reply.body)
    assert "technical" not in card_texts(reply.body)


async def test_a_channel_command_is_answered_privately_in_the_askers_chat(
    teams: TeamsHarness,
) -> None:
    await teams.post(a.personal_install(teams.connector.url, a.ADMIN_AAD))
    before = len(teams.connector.posted())
    message = a.channel_message(teams.connector.url, a.ADMIN_AAD, "/learning-survey nope")
    assert (await teams.post(message))[0] == 200
    replies = teams.connector.posted()[before:]
    assert [r.conversation for r in replies] == [a.personal_conversation(a.ADMIN_AAD)]
    assert "No workstream 'nope'" in card_texts(replies[0].body)
    assert teams.connector.posted(a.CHANNEL_ID) == []
    assert store.load(teams.core, f"teams:channel:{a.CHANNEL_ID}") is not None
    assert store.load(teams.core, f"teams:team:{a.TEAM_ID}") is not None


async def test_plain_chatter_gets_a_hint_and_channel_chatter_gets_nothing(
    teams: TeamsHarness,
) -> None:
    await teams.post(a.personal_message(teams.connector.url, a.EMPLOYEE_AAD, "hi there"))
    (hint,) = teams.connector.posted()
    assert "learning-help" in card_texts(hint.body)
    await teams.post(a.channel_message(teams.connector.url, a.EMPLOYEE_AAD, "great work all"))
    assert len(teams.connector.posted()) == 1


async def test_a_service_url_outside_the_allow_list_is_refused_without_any_call(
    teams: TeamsHarness,
) -> None:
    async with running(FakeConnector()) as stranger:
        message = a.personal_message(stranger.url, a.ADMIN_AAD, "learning-help")
        status, _ = await teams.post(message)
        assert status == 403
        install = a.personal_install(stranger.url, a.EMPLOYEE_AAD)
        assert (await teams.post(install))[0] == 403
        assert stranger.calls == [] and teams.connector.calls == []
    with teams.core.session() as session:
        assert session.exec(select(ConversationReference)).all() == []
        assert (
            session.exec(select(PersonRecord).where(PersonRecord.ref.startswith("teams:"))).all()
            == []
        )


async def test_a_service_url_that_only_starts_like_an_allowed_one_is_refused(
    database_url: str, engine: Engine, clock: ManualClock, connector: FakeConnector
) -> None:
    allowed = connector.url.rstrip("/")  # http://127.0.0.1:PORT, as an operator may write it
    core = teams_core(database_url, engine, clock, allowed, TEAMS_EMULATOR="1")
    async with serve_teams(core, connector) as teams:
        for forged in (f"{allowed}@evil.example/", f"{allowed}0/", f"{allowed}.evil.example/"):
            status, _ = await teams.post(a.personal_install(forged, a.EMPLOYEE_AAD))
            assert status == 403, forged
        assert connector.calls == []
        with core.session() as session:
            assert session.exec(select(ConversationReference)).all() == []
        status, _ = await teams.post(a.personal_install(connector.url, a.EMPLOYEE_AAD))
        assert status == 200 and len(connector.posted()) == 1  # the real one still gets in


async def test_bad_requests_are_refused(teams: TeamsHarness) -> None:
    async with teams.session.post(
        f"{teams.url}api/messages", data="x", headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 415
    async with teams.session.post(
        f"{teams.url}api/messages", data="{not json", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
    status, _ = await teams.post({"text": "no type"})
    assert status == 400


async def test_snooze_from_a_card_answers_in_the_invoke_response(teams: TeamsHarness) -> None:
    await teams.post(a.personal_install(teams.connector.url, a.EMPLOYEE_AAD))
    invoke = a.card_action(teams.connector.url, a.EMPLOYEE_AAD, "snooze", {"days": 7})
    status, body = await teams.post(invoke)
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    with teams.core.session() as session:
        person = session.exec(
            select(PersonRecord).where(PersonRecord.ref == f"teams:{a.EMPLOYEE_AAD}")
        ).one()
        assert person.snoozed_until is not None


async def test_a_stale_or_foreign_card_action_is_answered_without_a_change(
    teams: TeamsHarness,
) -> None:
    invoke = a.card_action(teams.connector.url, a.EMPLOYEE_AAD, "answer", {"value": "yes"})
    status, body = await teams.post(invoke)
    assert status == 200
    assert body["statusCode"] == 200 and "out of date" in body["value"]
    no_person = a.card_action(teams.connector.url, a.EMPLOYEE_AAD, "answer", {})
    del no_person["from"]["aadObjectId"]
    status, body = await teams.post(no_person)
    assert status == 200 and "could not tell who you are" in body["value"]
