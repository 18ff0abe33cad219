"""Proactive sends through the fake Bot Connector: references, new 1:1 chats, retries, traces."""

from __future__ import annotations

import time

import pytest

from adapters.teams import store
from adapters.teams.adapter import NOT_INSTALLED
from bot.messages import Prompt, PromptState, notice
from bot.ports import Member, MessageRef, PermanentSendError, TransientSendError
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness
from tests.sample_prompts import YES_NO, prompt_item
from tests.sample_prompts import prompt as sample_prompt

NEWCOMER = "b17d4458-06a8-4e71-a326-1b16ea0260d3"


def prompt(delivery_id: int = 7, state: PromptState = PromptState.OPEN) -> Prompt:
    item = prompt_item("yes_no", YES_NO, question_id="technical-applied-on-the-job")
    return sample_prompt(item, delivery_id=delivery_id, state=state)


async def installed(teams: TeamsHarness, aad: str) -> None:
    await teams.post(a.installation_update(teams.connector.url, aad))
    teams.connector.calls.clear()


async def test_a_prompt_goes_to_the_stored_conversation_and_leaves_a_trace(
    teams: TeamsHarness,
) -> None:
    await installed(teams, a.EMPLOYEE_AAD)
    ref = await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    (sent,) = teams.connector.posted()
    assert ref == MessageRef(a.personal_conversation(a.EMPLOYEE_AAD), sent.body["id"])
    card = sent.body["attachments"][0]["content"]
    assert card["version"] == "1.5" and '"delivery_id": 7' in str(card).replace("'", '"')
    assert await teams.adapter.find_prompt(f"teams:{a.EMPLOYEE_AAD}", 7) == ref
    assert await teams.adapter.find_prompt(f"teams:{a.EMPLOYEE_AAD}", 8) is None


async def test_a_send_whose_outcome_is_unknown_is_never_repeated(teams: TeamsHarness) -> None:
    await installed(teams, a.EMPLOYEE_AAD)
    conversation = a.personal_conversation(a.EMPLOYEE_AAD)
    trace = {"conversation": conversation, "serviceUrl": teams.connector.url, "state": "sending"}
    store.save(teams.core, store.prompt_key(9), trace)  # the process stopped mid-send
    found = await teams.adapter.find_prompt(f"teams:{a.EMPLOYEE_AAD}", 9)
    assert found == MessageRef(conversation, "")
    await teams.adapter.update_prompt(found, prompt(9, PromptState.CLOSED))
    assert teams.connector.calls == []  # no message id: nothing to update, nothing re-sent


async def test_someone_without_a_reference_gets_a_new_one_to_one_chat(teams: TeamsHarness) -> None:
    await installed(teams, a.EMPLOYEE_AAD)  # gives the tenant's service URL
    ref = await teams.adapter.send_prompt(f"teams:{NEWCOMER}", prompt())
    (created,) = teams.connector.created()
    assert created.body["members"] == [{"id": NEWCOMER}]
    assert created.body["tenantID"] == a.TENANT  # botbuilder spells it so
    assert created.body["channelData"] == {"tenant": {"id": a.TENANT}}
    assert ref.conversation == f"a:1:{NEWCOMER}"
    stored = store.load(teams.core, f"teams:{NEWCOMER}")
    assert stored is not None and stored["conversation"]["id"] == ref.conversation
    await teams.adapter.post_to_person(f"teams:{NEWCOMER}", notice("again"))
    assert len(teams.connector.created()) == 1


async def test_not_installed_fails_permanently_with_the_reason_status_shows(
    teams: TeamsHarness,
) -> None:
    with pytest.raises(PermanentSendError, match=NOT_INSTALLED):
        await teams.adapter.send_prompt(f"teams:{NEWCOMER}", prompt())  # nothing known at all
    await installed(teams, a.EMPLOYEE_AAD)
    teams.connector.not_installed.add(NEWCOMER)
    with pytest.raises(PermanentSendError, match=NOT_INSTALLED):
        await teams.adapter.send_prompt(f"teams:{NEWCOMER}", prompt())
    assert teams.connector.posted() == []


@pytest.mark.parametrize("status", [429, 412, 502, 504])
async def test_transient_statuses_are_retried_honouring_retry_after(
    teams: TeamsHarness, status: int
) -> None:
    await installed(teams, a.EMPLOYEE_AAD)
    teams.connector.fail_next.extend([(status, 0.3), (status, None)])
    started = time.monotonic()
    await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    assert time.monotonic() - started >= 0.3
    assert len(teams.connector.refused(status)) == 2
    assert len(teams.connector.posted()) == 1


async def test_retries_are_bounded_then_the_ledger_is_told_to_retry_later(
    teams: TeamsHarness,
) -> None:
    await installed(teams, a.EMPLOYEE_AAD)
    teams.connector.fail_next.extend([(503, None)] + [(429, 0.05)] * 5)
    with pytest.raises(TransientSendError) as first:
        await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    assert "503" in first.value.reason
    assert len(teams.connector.calls) == 1  # the SDK does not retry behind the throttle's back
    with pytest.raises(TransientSendError) as exhausted:
        await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    assert exhausted.value.retry_after == 0.05
    assert teams.connector.posted() == []
    assert await teams.adapter.find_prompt(f"teams:{a.EMPLOYEE_AAD}", 7) is None  # not arrived
    ref = await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    assert len(teams.connector.posted()) == 1
    again = await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    assert again == ref and len(teams.connector.posted()) == 1  # traced as sent: not resent


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_other_client_errors_are_permanent_and_not_retried(
    teams: TeamsHarness, status: int
) -> None:
    await installed(teams, a.EMPLOYEE_AAD)
    teams.connector.fail_next.append((status, None))
    with pytest.raises(PermanentSendError, match=str(status)):
        await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    assert len(teams.connector.calls) == 1


async def test_a_prompt_is_updated_in_place(teams: TeamsHarness) -> None:
    await installed(teams, a.EMPLOYEE_AAD)
    ref = await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    await teams.adapter.update_prompt(ref, prompt(state=PromptState.CLOSED))
    (update,) = teams.connector.updated()
    assert update.path == f"/v3/conversations/{ref.conversation}/activities/{ref.message_id}"
    assert "no longer be answered" in str(update.body["attachments"])


async def test_a_stored_reference_outside_the_allow_list_is_never_called(
    teams: TeamsHarness,
) -> None:
    await installed(teams, a.EMPLOYEE_AAD)
    reference = store.load(teams.core, f"teams:{a.EMPLOYEE_AAD}")
    assert reference is not None
    store.save(
        teams.core, f"teams:{a.EMPLOYEE_AAD}", {**reference, "serviceUrl": "https://x.example/"}
    )
    with pytest.raises(PermanentSendError, match="TEAMS_SERVICE_URLS"):
        await teams.adapter.send_prompt(f"teams:{a.EMPLOYEE_AAD}", prompt())
    assert teams.connector.calls == []


async def test_team_members_are_listed_page_by_page(teams: TeamsHarness) -> None:
    await teams.post(a.team_install(teams.connector.url, a.ADMIN_AAD))
    teams.connector.calls.clear()
    roster = [
        {
            "id": f"29:{i}",
            "name": f"Person {i}",
            "aadObjectId": f"00000000-0000-4000-8000-00000000000{i}",
        }
        for i in range(5)
    ]
    teams.connector.team_members[a.TEAM_ID] = roster
    members = await teams.adapter.members(f"teams:team:{a.TEAM_ID}")
    assert [m.person for m in members] == [f"teams:{r['aadObjectId']}" for r in roster]
    assert len(teams.connector.calls) == 3  # pages of two
    assert await teams.adapter.members(f"teams:{a.EMPLOYEE_AAD}") == [
        Member(person=f"teams:{a.EMPLOYEE_AAD}")
    ]
    with pytest.raises(PermanentSendError, match="not installed"):
        await teams.adapter.members("teams:team:19:unknown@thread.tacv2")


async def test_a_digest_goes_to_the_channel_as_a_new_thread(teams: TeamsHarness) -> None:
    await teams.post(a.channel_message(teams.connector.url, a.ADMIN_AAD, "hello"))
    teams.connector.calls.clear()
    await teams.adapter.post_to_channel(f"teams:channel:{a.CHANNEL_ID}", notice("Digest"))
    (posted,) = teams.connector.posted()
    assert posted.path == f"/v3/conversations/{a.CHANNEL_ID}/activities"
