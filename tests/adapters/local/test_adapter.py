"""The local adapter against the real database: store, update, find, channels, files, members."""

from __future__ import annotations

import base64
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.local import store
from adapters.local.adapter import LocalAdapter
from adapters.local.codec import prompt_from_json, report_from_json
from adapters.local.directory import AUDIENCE_MAX, AUDIENCE_MIN, DemoDirectory
from adapters.local.render import view_items
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.messages import Choice, Prompt, PromptItem, PromptState, Report, Section
from bot.ports import ChatAdapter, MessageRef, PermanentSendError

PERSON = "slack:U04K7QP2M1"


def a_prompt(delivery_id: int, recorded: str | None = None) -> Prompt:
    return Prompt(
        delivery_id=delivery_id,
        workstream="Learning Management System rollout",
        title="Weekly check-in",
        items=(
            PromptItem(
                question_id="lms-find-what-i-need",
                ask="The platform made it easy to find what I needed.",
                kind="scale",
                choices=tuple(Choice(str(n), str(n)) for n in range(1, 6)),
                comment_invited=True,
                recorded=recorded,
            ),
        ),
        privacy_note="Shown only in aggregate, when at least 5 people answered.",
        closes="Thursday 17:00",
        state=PromptState.ANSWERED if recorded else PromptState.OPEN,
    )


@pytest.fixture
def adapter(core: LearnPulse) -> LocalAdapter:
    return LocalAdapter(core, DemoDirectory.from_program(core.require_program()))


def test_it_is_a_chat_adapter(adapter: LocalAdapter) -> None:
    assert isinstance(adapter, ChatAdapter)


async def test_a_prompt_is_stored_found_and_updated_in_place(
    adapter: LocalAdapter, core: LearnPulse, clock: ManualClock
) -> None:
    ref = await adapter.send_prompt(PERSON, a_prompt(41))
    assert ref.conversation == f"dm:{PERSON}"
    assert await adapter.find_prompt(PERSON, 41) == ref
    assert await adapter.find_prompt(PERSON, 42) is None
    assert await adapter.find_prompt("slack:U05B9TR3XK", 41) is None

    clock.advance(timedelta(minutes=5))
    await adapter.update_prompt(ref, a_prompt(41, recorded="4"))
    messages = store.history(core.engine, f"dm:{PERSON}")
    assert len(messages) == 1
    shown = prompt_from_json(messages[0].body["prompt"])
    assert shown.items[0].recorded == "4"
    assert shown.state is PromptState.ANSWERED
    assert messages[0].updated_at - messages[0].created_at == timedelta(minutes=5)


async def test_updating_a_message_that_is_not_there_is_permanent(adapter: LocalAdapter) -> None:
    ref = await adapter.send_prompt(PERSON, a_prompt(7))
    with pytest.raises(PermanentSendError):
        await adapter.update_prompt(MessageRef("dm:slack:U05B9TR3XK", ref.message_id), a_prompt(7))
    with pytest.raises(PermanentSendError):
        await adapter.update_prompt(MessageRef(ref.conversation, "999999"), a_prompt(7))


async def test_reports_go_to_channels_with_their_chart(
    adapter: LocalAdapter, core: LearnPulse
) -> None:
    report = Report(
        title="LMS digest",
        sections=(Section("Responses", fields=(("Response rate", "6 of 6"),)),),
        image_png=b"\x89PNG fake",
        image_alt="trend",
    )
    ref = await adapter.post_to_channel("slack:channel:C0LMSLEAD1", report)
    assert ref.conversation == "slack:channel:C0LMSLEAD1"
    [message] = store.history(core.engine, "slack:channel:C0LMSLEAD1")
    assert report_from_json(message.body["report"]) == report
    assert store.history(core.engine, f"dm:{PERSON}") == []


async def test_files_are_kept_for_their_owner(adapter: LocalAdapter, core: LearnPulse) -> None:
    await adapter.send_file(PERSON, "my-data.json", b'{"answers": []}', "Your data")
    [message] = store.history(core.engine, f"dm:{PERSON}")
    assert message.kind == "file"
    assert base64.b64decode(message.body["content"]) == b'{"answers": []}'


async def test_audiences_expand_to_a_stable_synthetic_directory(
    adapter: LocalAdapter, core: LearnPulse
) -> None:
    program = core.require_program()
    lms = program.workstream("lms")
    assert lms is not None
    everyone = await adapter.members("slack:channel:C0ALLHANDS")
    refs = [m.person for m in everyone]
    assert len(set(refs)) == len(refs)
    assert set(lms.pilot) <= set(refs)  # pilot members are part of their audience
    # An all-hands (a channel several workstreams ask) holds everyone on its platform; other
    # audiences are smaller groups.
    assert len(refs) > AUDIENCE_MAX
    group = await adapter.members("slack:group:S0ALLSTAFF")
    assert AUDIENCE_MIN <= len(group) <= AUDIENCE_MAX
    assert all(m.timezone and m.display_name for m in everyone)
    again = DemoDirectory.from_program(program).members("slack:channel:C0ALLHANDS")
    assert [m.person for m in again] == refs
    team = await adapter.members("teams:team:c9eae634-4619-4a57-9417-5fb2d0924d7e")
    assert team and all(m.person.startswith("teams:") for m in team)
    [one] = await adapter.members(PERSON)
    assert one.person == PERSON and one.display_name
    assert await adapter.members("slack:channel:CUNKNOWN") == []


async def test_a_reminder_supersedes_the_first_card_of_the_same_delivery(
    adapter: LocalAdapter, core: LearnPulse
) -> None:
    await adapter.send_prompt(PERSON, a_prompt(5))
    await adapter.send_prompt(PERSON, a_prompt(6))
    await adapter.send_prompt(PERSON, a_prompt(5))  # the reminder of delivery 5
    items = view_items(store.history(core.engine, f"dm:{PERSON}"), ZoneInfo("UTC"))
    assert [(i.prompt.delivery_id, i.superseded) for i in items if i.prompt] == [
        (5, True),
        (6, False),
        (5, False),
    ]
