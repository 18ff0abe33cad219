"""The monthly own-trend message: a Teams person gets it once in their 1:1 chat with the bot,
through the fake Bot Connector; a Slack person gets nothing in Slack (their App Home shows it)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock
from bot.reporting import post_due_trends
from tests.adapters.slack.conftest import adapter_for
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness
from tests.bot.test_report_support import person
from tests.surveys.test_trend import ME, answered_by

TEAMS_AAD = "8d1c2a40-0000-4000-8000-00000000abcd"


async def test_the_monthly_message_goes_to_people_without_an_app_home_once(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    core = teams.core
    async with FakeSlack() as slack:
        slack.add_user(ME.removeprefix("slack:"))
        core.adapters.register(adapter_for(slack.url, clock))
        await teams.post(a.personal_install(teams.connector.url, TEAMS_AAD))
        answered_by(core, f"teams:{TEAMS_AAD}")
        answered_by(core, ME)
        person(core, ME)
        teams.connector.calls.clear()
        clock.set(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))  # 11:00 in New York on the 1st

        assert await post_due_trends(core) == 1
        assert await post_due_trends(core) == 0

        (message,) = teams.connector.posted()
        assert message.conversation == a.personal_conversation(TEAMS_AAD)
        assert "Culture alignment" in str(message.body["attachments"])
        assert slack.calls == []  # Slack shows it in the App Home instead
