"""Anonymous conversations on quoted comments, as Slack carries them: the lead's reply reaches
the comment's author in their DM and nobody else; the author answers back and it reaches the
lead; nothing the lead receives identifies the author; replies off is honoured; a lead cannot
write again at once; and in anonymous mode no Reply is offered."""

from __future__ import annotations

import json
from datetime import date, timedelta

from adapters.slack import SlackAdapter
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.commands.table import run_command
from bot.messages import Report
from surveys.conversations import NOT_YOURS, SENT
from surveys.digest import build_digests, scheduled_period
from tests.adapters.slack.conftest import PILOT
from tests.adapters.slack.fake_slack import FakeSlack
from tests.bot.test_report_support import answers, person

KEY = "respect-treated-with-respect"
RESPECT_LEAD = "slack:U0LEAD0003"
LAST_WEEK = date(2026, 11, 24)  # in Sat 21 .. Fri 27 Nov, the period due on Monday 30 Nov
WRITERS = [f"slack:{user}" for user in PILOT[:5]]
COMMENTS: list[str | None] = [
    "Truly great team, thank you!", "Meetings are fine.", "Fine.", "Okay.",
    "I was talked over again, it is awful.",
]  # fmt: skip
SENTIMENTS: list[float | None] = [0.8, 0.05, 0.0, 0.0, -0.8]


def _answered(core: LearnPulse) -> None:
    """The writers (people of the roster) answered last week, each with a comment."""
    for writer in WRITERS:
        person(core, writer)
    answers(core, "respect", KEY, LAST_WEEK, ["4"] * 5, comments=COMMENTS,
            sentiments=SENTIMENTS, people=WRITERS)  # fmt: skip


def _digest_buttons(core: LearnPulse) -> dict[str, str]:
    workstream = core.require_program().workstream("respect")
    assert workstream is not None
    [built] = build_digests(core, [(workstream, scheduled_period(core, workstream))])
    [comments] = [s for s in built.report.sections if s.heading == "Comments"]
    return {choice.label: choice.value.split()[1] for choice in comments.actions}


def _dm_texts(fake: FakeSlack, user: str) -> str:
    channel = fake.dms.get(user.removeprefix("slack:"), "")
    return json.dumps(fake.messages.get(channel, []), ensure_ascii=False)


def _everything(report: Report) -> str:
    return repr(report)


async def test_a_reply_reaches_the_author_alone_and_their_answer_reaches_the_lead(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    core = slack_core
    _answered(core)
    buttons = _digest_buttons(core)
    token = buttons["Reply to the negative comment"]
    author = WRITERS[4]
    form = await run_command(core, RESPECT_LEAD, "learning-reply", token, None)
    assert form.form is not None and form.form.command == "learning-reply"
    sent = await run_command(core, RESPECT_LEAD, "learning-reply", token, None,
                             {"text": "Thank you for telling us. What would help?"})  # fmt: skip
    assert sent.summary == SENT
    assert "What would help?" in _dm_texts(fake_slack, author)
    assert all("What would help?" not in _dm_texts(fake_slack, w) for w in WRITERS[:4])
    lead_saw = _everything(form) + _everything(sent)
    key = core.vault.respondent_key(author)
    for trace in (author, author.removeprefix("slack:"), key, "Name of"):
        assert trace not in lead_saw
    # The author answers back from their DM; it reaches the lead, still anonymous.
    answer = await run_command(core, author, "learning-reply", token, None,
                               {"text": "Ask people to finish their sentences."})  # fmt: skip
    assert answer.summary == SENT
    to_lead = _dm_texts(fake_slack, RESPECT_LEAD)
    assert "finish their sentences" in to_lead
    for trace in (author, author.removeprefix("slack:"), key):
        assert trace not in to_lead
    # The lead cannot write again at once; a stranger cannot write at all.
    again = await run_command(core, RESPECT_LEAD, "learning-reply", token, None, {"text": "Hi"})
    assert (again.summary or "").startswith("You can write on this conversation again from")
    stranger = await run_command(core, "slack:U0ADMIN001", "learning-reply", token, None,
                                 {"text": "Who are you?"})  # fmt: skip
    assert stranger.summary == NOT_YOURS


async def test_replies_off_is_honoured_and_the_lead_cannot_tell(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    core = slack_core
    _answered(core)
    token = _digest_buttons(core)["Reply to the positive comment"]
    author = WRITERS[0]
    off = await run_command(core, author, "learning-mydata", "replies off", None)
    assert "Replies are off" in (off.summary or "")
    sent = await run_command(core, RESPECT_LEAD, "learning-reply", token, None,
                             {"text": "Thanks a lot!"})  # fmt: skip
    assert sent.summary == SENT  # the same answer as when it is delivered
    assert "Thanks a lot!" not in _dm_texts(fake_slack, author)
    clock.advance(timedelta(hours=1))
    await run_command(core, author, "learning-mydata", "replies on", None)
    await run_command(core, RESPECT_LEAD, "learning-reply", token, None, {"text": "Thanks again"})
    assert "Thanks again" in _dm_texts(fake_slack, author)


async def test_anonymous_mode_offers_no_reply(slack_core: LearnPulse) -> None:
    core = slack_core
    program = core.require_program()
    anonymity = program.anonymity.model_copy(update={"mode": "anonymous"})
    core.program = program.model_copy(update={"anonymity": anonymity})
    _answered(core)
    workstream = core.require_program().workstream("respect")
    assert workstream is not None
    [built] = build_digests(core, [(workstream, scheduled_period(core, workstream))])
    [comments] = [s for s in built.report.sections if s.heading == "Comments"]
    assert comments.actions == ()
    assert any("in anonymous mode nothing links a comment" in line for line in comments.lines)
