"""The adapter's outgoing side against the fake Web API: limits, retries, errors, audiences."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import aiohttp
import pytest

from adapters.slack import render
from adapters.slack.adapter import SlackAdapter
from adapters.slack.web_api import ChannelPacer, connection_pool, json_text
from bot.clock import ManualClock
from bot.messages import Prompt, Report, notice
from bot.ports import PermanentSendError, TransientSendError
from tests.adapters.slack.conftest import ADMIN, LEAD, OUTSIDER, PILOT, adapter_for
from tests.adapters.slack.fake_slack import BOT_USER, FakeSlack
from tests.sample_prompts import SCALE, prompt, prompt_item
from tests.support import free_port
from tests.virtual_time import VirtualTime


@pytest.fixture
async def adapter(fake_slack: FakeSlack, clock: ManualClock) -> AsyncIterator[SlackAdapter]:
    yield adapter_for(fake_slack.url, clock)


def a_prompt(delivery_id: int) -> Prompt:
    return prompt(prompt_item("scale", SCALE), delivery_id=delivery_id)


async def test_a_prompt_carries_its_delivery_id_and_is_found_again(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    fake_slack.page_size = 2
    user = PILOT[0]
    first = await adapter.send_prompt(f"slack:{user}", a_prompt(5))
    for n in range(6):  # push it back through several history pages
        await adapter.post_to_person(f"slack:{user}", notice(f"note {n}"))
    assert await adapter.find_prompt(f"slack:{user}", 5) == first
    assert await adapter.find_prompt(f"slack:{user}", 6) is None
    history = fake_slack.calls_to("conversations.history")
    assert len(history) >= 4
    assert all(c.params["include_all_metadata"] in ("1", "true", True) for c in history)


async def test_429_waits_retry_after_and_never_drops(
    fake_slack: FakeSlack, clock: ManualClock
) -> None:
    driven = VirtualTime()
    adapter = adapter_for(fake_slack.url, clock, monotonic=driven.monotonic, sleep=driven.sleep)
    fake_slack.faults.queued["chat.postMessage"] = [429, 429]
    ref = await adapter.send_prompt(f"slack:{PILOT[1]}", a_prompt(7))
    assert driven.slept == [1.0, 1.0]  # Retry-After: 1, twice
    assert adapter.api.rate_limited == 2
    assert [m["ts"] for m in fake_slack.prompts_for(PILOT[1])] == [ref.message_id]


async def test_server_errors_are_retried_then_surface_as_transient(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.queued["chat.postMessage"] = [500, 503]
    await adapter.send_prompt(f"slack:{PILOT[2]}", a_prompt(8))
    assert len(fake_slack.prompts_for(PILOT[2])) == 1
    fake_slack.faults.queued["chat.postMessage"] = [500] * 4
    with pytest.raises(TransientSendError) as caught:
        await adapter.send_prompt(f"slack:{PILOT[3]}", a_prompt(9))
    assert "HTTP 500" in caught.value.reason
    assert fake_slack.prompts_for(PILOT[3]) == []


async def test_a_5xx_after_slack_posted_is_reconciled_not_resent(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.post_then_fail = 1
    ref = await adapter.send_prompt(f"slack:{PILOT[4]}", a_prompt(10))
    [posted] = fake_slack.prompts_for(PILOT[4])
    assert ref.message_id == posted["ts"]
    assert len(fake_slack.calls_to("chat.postMessage", status=None)) == 1


async def test_a_post_that_may_have_arrived_while_slack_cannot_be_asked_says_so(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    fake_slack.faults.post_then_fail = 1  # stored, then a 500
    fake_slack.faults.queued["conversations.history"] = [500] * 4  # and history is down too
    with pytest.raises(TransientSendError) as caught:
        await adapter.send_prompt(f"slack:{PILOT[5]}", a_prompt(13))
    assert caught.value.outcome_unknown  # the sender must look before sending it again
    assert len(fake_slack.prompts_for(PILOT[5])) == 1
    assert len(fake_slack.calls_to("chat.postMessage", status=None)) == 1


async def test_a_refused_connection_is_known_not_to_have_posted(clock: ManualClock) -> None:
    adapter = adapter_for(f"http://127.0.0.1:{free_port()}/api/", clock)
    with pytest.raises(TransientSendError) as caught:
        await adapter.send_prompt(f"slack:{PILOT[0]}", a_prompt(14))
    assert not caught.value.outcome_unknown


async def test_the_shared_pool_posts_a_prompt_exactly_as_rendered(
    fake_slack: FakeSlack, clock: ManualClock
) -> None:
    prompt = replace(a_prompt(12), title="Lernpfad · Überblick ✓", privacy_note="Nur Summen 🔒")
    async with connection_pool(4) as session:
        adapter = adapter_for(fake_slack.url, clock)
        adapter.client.session = session
        await adapter.send_prompt(f"slack:{PILOT[0]}", prompt)
    [posted] = fake_slack.prompts_for(PILOT[0])
    assert posted["text"] == render.prompt_text(prompt)
    assert posted["blocks"] == render.prompt_blocks(prompt)
    assert posted["metadata"]["event_payload"] == {"delivery_id": 12}


def test_request_bodies_are_the_json_the_standard_library_would_write() -> None:
    value = {"channel": "D1", 7: [True, None, 1.5, "é · ✓"], "blocks": [{"type": "divider"}]}
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


async def test_connection_errors_are_transient(clock: ManualClock) -> None:
    adapter = adapter_for(f"http://127.0.0.1:{free_port()}/api/", clock)
    with pytest.raises(TransientSendError) as caught:
        await adapter.post_to_person(f"slack:{PILOT[0]}", notice("hi"))
    assert "connection failed" in caught.value.reason


async def test_permanent_errors_carry_slacks_reason(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0GONE0001", deleted=True)
    with pytest.raises(PermanentSendError) as gone:
        await adapter.send_prompt("slack:U0GONE0001", a_prompt(11))
    assert gone.value.reason == "account_inactive"
    with pytest.raises(PermanentSendError) as missing:
        await adapter.post_to_channel("slack:channel:C0NOSUCH01", notice("digest"))
    assert missing.value.reason == "channel_not_found"
    with pytest.raises(PermanentSendError) as unknown:
        await adapter.find_prompt("slack:U0NOBODY01", 1)
    assert unknown.value.reason == "user_not_found"


async def test_about_one_message_per_second_per_channel_and_channels_in_parallel(
    fake_slack: FakeSlack, clock: ManualClock
) -> None:
    driven = VirtualTime()
    fake_slack.monotonic = driven.monotonic
    fake_slack.channel_interval = 1.0  # the fake answers 429 to anything faster
    adapter = adapter_for(
        fake_slack.url,
        clock,
        per_channel_interval=1.0,
        monotonic=driven.monotonic,
        sleep=driven.sleep,
    )
    async with aiohttp.ClientSession(trace_configs=[driven.trace_config()]) as session:
        adapter.client.session = session
        same_channel = (adapter.send_prompt(f"slack:{PILOT[0]}", a_prompt(n)) for n in range(4))
        await asyncio.gather(*same_channel)
        assert driven.slept == [1.0, 1.0, 1.0]  # one channel: each message after the first waits
        assert driven.monotonic() == 3.0
        many_channels = (adapter.send_prompt(f"slack:{u}", a_prompt(100)) for u in PILOT[1:])
        await asyncio.gather(*many_channels)
    assert driven.slept == [1.0, 1.0, 1.0]  # other channels: nobody waited for anybody
    assert len(fake_slack.prompts_for(PILOT[0])) == 4
    assert all(len(fake_slack.prompts_for(u)) == 1 for u in PILOT[1:])
    assert adapter.api.rate_limited == 0
    assert len(fake_slack.calls_to("chat.postMessage", status=429)) == 0


async def test_pacing_lets_a_channel_through_at_once_only_when_its_turn_has_come() -> None:
    driven = VirtualTime()
    pacer = ChannelPacer(interval=0.25, monotonic=driven.monotonic, sleep=driven.sleep)
    await pacer.wait_turn("D0FIRST001")  # first message: no wait
    await pacer.wait_turn("D0OTHER001")  # another channel: no wait
    assert driven.slept == []
    await pacer.wait_turn("D0FIRST001")  # its second message waits for its turn
    assert driven.slept == [0.25]
    pacer.hold("D0OTHER001", 0.5)  # Slack said wait: Retry-After 0.5
    await pacer.wait_turn("D0OTHER001")
    assert driven.slept == [0.25, 0.5]
    assert driven.monotonic() == 0.75
    await pacer.wait_turn("D0OTHER001")  # the turn after a hold is an interval later
    assert driven.slept == [0.25, 0.5, 0.25]


async def test_channel_and_group_members_skip_bots_and_deactivated_people(
    adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    fake_slack.page_size = 3
    fake_slack.add_user("U0GONE0001", deleted=True)
    fake_slack.channels["C0ALLHANDS"].append("U0GONE0001")
    fake_slack.groups["S0ALLSTAFF"] = [ADMIN, LEAD, BOT_USER]
    people = await adapter.members("slack:channel:C0ALLHANDS")
    assert sorted(m.person for m in people) == sorted(
        f"slack:{u}" for u in [*PILOT, ADMIN, LEAD, OUTSIDER]
    )
    assert {m.timezone for m in people} == {"America/New_York"}
    assert len(fake_slack.calls_to("conversations.members")) == 4  # 11 members, pages of 3
    group = await adapter.members("slack:group:S0ALLSTAFF")
    assert sorted(m.person for m in group) == sorted([f"slack:{ADMIN}", f"slack:{LEAD}"])

    lookups = len(fake_slack.calls_to("users.info"))
    await adapter.members("slack:channel:C0ALLHANDS")
    assert len(fake_slack.calls_to("users.info")) == lookups  # cached
    fake_slack.users[PILOT[0]]["tz"] = "Europe/Berlin"
    clock.advance(timedelta(days=1, minutes=1))
    refreshed = await adapter.members(f"slack:{PILOT[0]}")
    assert refreshed[0].timezone == "Europe/Berlin"


async def test_a_large_audience_is_read_from_users_list_pages(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    crowd = [f"U9{n:08d}" for n in range(450)]
    for user in crowd:
        fake_slack.add_user(user)
    fake_slack.channels["C0CROWD001"] = crowd
    people = await adapter.members("slack:channel:C0CROWD001")
    assert len(people) == 450
    assert len(fake_slack.calls_to("users.info")) == 0
    assert 1 < len(fake_slack.calls_to("users.list")) <= 3


async def test_files_and_charts_are_uploaded_with_the_external_upload_flow(
    adapter: SlackAdapter, fake_slack: FakeSlack
) -> None:
    await adapter.send_file(f"slack:{PILOT[0]}", "my-answers.json", b'{"answers": []}', "Your data")
    [shared] = fake_slack.files
    assert shared["channel_id"] == fake_slack.dms[PILOT[0]]
    assert fake_slack.uploads[shared["files"][0]["id"]] == b'{"answers": []}'

    chart = Report(title="Digest", summary="ok", image_png=b"\x89PNG...", image_alt="Trend")
    ref = await adapter.post_to_channel("slack:channel:C0LMSLEAD1", chart)
    assert ref.conversation == "C0LMSLEAD1"
    assert fake_slack.files[1]["channel_id"] == "C0LMSLEAD1"
    assert fake_slack.uploads[fake_slack.files[1]["files"][0]["id"]] == b"\x89PNG..."
