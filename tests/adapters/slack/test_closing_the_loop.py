"""Closing the loop in Slack, end to end over HTTP with signed requests: a lead plans an action
from a posted digest in a modal and the audience hears about it once, in a plain DM; a lead
replies to a quoted comment and its author alone receives it, answers back from the DM, and
nothing the lead receives identifies the author; an employee's click is refused; a trigger
Slack no longer accepts falls back to the command in words; and what is rendered stays valid
Block Kit."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlmodel import select

from adapters.slack import actions, render
from bot.messages import Choice, Form, FormField, Prompt, PromptState, Report, Section
from bot.reporting import post_digest
from storage.tables import PersonRecord
from surveys import actions as recorded_actions
from surveys.announcements import TITLE
from surveys.conversations import SENT
from tests.adapters.slack.conftest import ADMIN, LEAD, OUTSIDER, PILOT, SlackServer
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.payloads import (
    block_actions,
    form_submission,
    slash_command,
)
from tests.adapters.slack.test_conversations import WRITERS, _answered
from tests.adapters.slack.test_render import check_limits
from tests.adapters.slack.test_scenarios import eventually

RESPECT_LEAD = "U0LEAD0003"
DIGEST_CHANNEL = "C0RESPECT1"
PLAN = "/learning-action respect plan"
KEY = "respect-treated-with-respect"
AUDIENCE = [*PILOT, ADMIN, LEAD, OUTSIDER]  # the members of #all-hands, respect's audience


async def _posted_digest(server: SlackServer, fake: FakeSlack) -> dict[str, Any]:
    """Last week's answers (each with a comment), and the respect digest posted in its
    channel."""
    _answered(server.core)
    assert (await post_digest(server.core, "respect", scheduled=True)).posted
    [digest] = fake.messages[DIGEST_CHANNEL]
    return digest


async def _click(
    server: SlackServer, fake: FakeSlack, user: str, channel: str, message: dict[str, Any],
    value: str,
) -> dict[str, Any]:  # fmt: skip
    """``user`` clicks the report button whose value is ``value``; the click's payload."""
    click = block_actions(
        user, channel, message, actions.REPORT, value, response_url=fake.hook_url()
    )
    assert (await server.interact(click))[0] == 200
    return click


async def _opened(fake: FakeSlack, trigger_id: str) -> dict[str, Any]:
    """The modal opened with ``trigger_id``."""
    [opened] = await eventually(
        lambda: [v for v in fake.views if v.get("trigger_id") == trigger_id]
    )
    return dict(opened["view"])


async def _submit(
    server: SlackServer, user: str, view: dict[str, Any], given: dict[str, str]
) -> tuple[int, str]:
    return await server.interact(form_submission(user, view, given))


def _dm(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return fake.messages.get(fake.dms.get(user, ""), [])


def _value_of(message: dict[str, Any], label: str) -> str:
    """The value of the button labelled ``label`` in ``message``."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["text"]["text"] == label:
                return str(element["value"])
    raise LookupError(f"no button {label!r}")


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


async def test_a_lead_plans_an_action_in_a_modal_and_the_audience_hears_once(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    core = slack_server.core
    digest = await _posted_digest(slack_server, fake_slack)
    click = await _click(slack_server, fake_slack, RESPECT_LEAD, DIGEST_CHANNEL, digest, PLAN)
    view = await _opened(fake_slack, click["trigger_id"])
    View(**view).validate_json()
    assert view["callback_id"] == actions.FORM_MODAL
    assert json.loads(view["private_metadata"]) == {
        "f": "learning-action", "t": "respect", "c": DIGEST_CHANNEL,
    }  # fmt: skip
    fields = _inputs(view)
    assert list(fields) == ["lp_field:what", "lp_field:question", "lp_field:due"]
    what, question, due = fields.values()
    assert what["element"]["type"] == "plain_text_input" and what["element"]["multiline"]
    assert what["optional"] is False and question["optional"] and due["optional"]
    assert question["element"]["type"] == "static_select"
    assert question["label"]["text"] == "About which question"  # Slack adds "(optional)"
    assert KEY in [o["value"] for o in question["element"]["options"]]
    assert due["element"]["type"] == "datepicker"

    # What is missing or wrong goes back to the modal, and nothing is recorded.
    status, body = await _submit(slack_server, RESPECT_LEAD, view, {"due": "2026-13-45"})
    assert status == 200
    assert json.loads(body) == {
        "response_action": "errors",
        "errors": {
            "lp_field:what": "Please fill this in.",
            "lp_field:due": "Pick a date from the calendar (YYYY-MM-DD).",
        },
    }
    assert recorded_actions.listed(core, ["respect"]) == []

    given = {"what": "Meeting rules: everyone finishes their sentence", "question": KEY,
             "due": "2026-12-18"}  # fmt: skip
    assert await _submit(slack_server, RESPECT_LEAD, view, given) == (200, "")
    [action] = await eventually(lambda: recorded_actions.listed(core, ["respect"]))
    assert action.text == given["what"]
    assert action.question_id == KEY and str(action.due_on) == "2026-12-18"
    [told] = await eventually(lambda: fake_slack.ephemerals)
    assert told["channel"] == DIGEST_CHANNEL and told["user"] == RESPECT_LEAD
    assert f"Recorded action #{action.id}" in told["text"]

    # Each member of the audience has one plain DM: the lines, no buttons, no snooze.
    for user in AUDIENCE:
        [announced] = await eventually(lambda u=user: _dm(fake_slack, u))  # type: ignore[misc]
        assert announced["blocks"][0]["text"]["text"] == TITLE
        assert given["what"] in json.dumps(announced["blocks"])
        assert not [b for b in announced["blocks"] if b["type"] == "actions"]
        check_limits(announced["blocks"])
    await core.send_due()  # sending again sends nothing new
    assert all(len(_dm(fake_slack, user)) == 1 for user in AUDIENCE)
    listing = await slack_server.command(
        slash_command(
            "learning-action", RESPECT_LEAD, "respect", response_url=fake_slack.hook_url()
        )
    )
    assert listing[0] == 200
    shown = await eventually(lambda: [r for r in fake_slack.responses if "Actions of" in r["text"]])
    assert given["what"] in json.dumps(shown[0]["blocks"])


async def test_a_slash_command_opens_the_form_and_an_expired_trigger_says_it_in_words(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    typed = slash_command("learning-action", RESPECT_LEAD, "respect plan", channel=DIGEST_CHANNEL,
                          response_url=fake_slack.hook_url())  # fmt: skip
    assert (await slack_server.command(typed))[0] == 200
    trigger = dict(kv.split("=", 1) for kv in typed.split("&"))["trigger_id"]
    view = await _opened(fake_slack, trigger.replace("%2E", "."))
    assert view["title"]["text"] == "Plan an action"

    fake_slack.expired_triggers.add("expired")
    late = slash_command("learning-action", RESPECT_LEAD, "respect plan",
                         response_url=fake_slack.hook_url())  # fmt: skip
    late = late.replace("trigger_id=", "trigger_id=expired&x=")
    assert (await slack_server.command(late))[0] == 200
    [fallback] = await eventually(lambda: fake_slack.responses)
    assert fallback["response_type"] == "ephemeral"
    assert (
        "Type it instead: /learning-action respect &lt;What we are doing&gt; "
        "[--question &lt;question&gt;] [--due YYYY-MM-DD]"
    ) in json.dumps(fallback["blocks"])


async def test_a_click_whose_trigger_expired_gets_the_form_in_words(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    digest = await _posted_digest(slack_server, fake_slack)
    value = _value_of(digest, "Reply to the negative comment")
    click = block_actions(RESPECT_LEAD, DIGEST_CHANNEL, digest, actions.REPORT, value,
                          response_url=fake_slack.hook_url())  # fmt: skip
    fake_slack.expired_triggers.add(click["trigger_id"])
    assert (await slack_server.interact(click))[0] == 200
    [fallback] = await eventually(lambda: fake_slack.responses)
    assert f"Type it instead: {value} &lt;Your reply to" in json.dumps(fallback["blocks"])
    assert fake_slack.calls_to("views.open", status=None)  # it was tried


async def test_an_employee_cannot_plan_an_action_from_a_digest(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    digest = await _posted_digest(slack_server, fake_slack)
    employee = PILOT[0]
    click = await _click(slack_server, fake_slack, employee, DIGEST_CHANNEL, digest, PLAN)
    [refused] = await eventually(lambda: fake_slack.responses)
    assert "not allowed" in refused["text"]
    assert not [v for v in fake_slack.views if v.get("trigger_id") == click["trigger_id"]]
    assert recorded_actions.listed(slack_server.core, ["respect"]) == []


async def test_a_reply_reaches_only_the_author_and_their_answer_reaches_the_lead_anonymously(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    core = slack_server.core
    digest = await _posted_digest(slack_server, fake_slack)
    value = _value_of(digest, "Reply to the negative comment")
    author = WRITERS[4].removeprefix("slack:")
    click = await _click(slack_server, fake_slack, RESPECT_LEAD, DIGEST_CHANNEL, digest, value)
    view = await _opened(fake_slack, click["trigger_id"])
    View(**view).validate_json()
    assert "I was talked over again" in json.dumps(view["blocks"])
    assert list(_inputs(view)) == ["lp_field:text"]
    written = "Thank you for telling us. What would help?"
    assert await _submit(slack_server, RESPECT_LEAD, view, {"text": written}) == (200, "")
    [reply] = await eventually(lambda: _dm(fake_slack, author))
    assert written in json.dumps(reply["blocks"])
    others = [u for u in fake_slack.users if u != author]
    assert all(written not in json.dumps(_dm(fake_slack, u)) for u in others)
    [sent] = await eventually(lambda: fake_slack.ephemerals)
    assert sent["user"] == RESPECT_LEAD and SENT.replace("'", "") in sent["text"].replace("'", "")

    # The author answers back from the DM: Reply opens a modal, the answer reaches the lead.
    dm = fake_slack.dms[author]
    back = await _click(slack_server, fake_slack, author, dm, reply, _value_of(reply, "Reply"))
    answer_view = await _opened(fake_slack, back["trigger_id"])
    assert json.loads(answer_view["private_metadata"])["c"] is None  # a DM's id does not travel
    answered = "Ask people to let others finish."
    assert await _submit(slack_server, author, answer_view, {"text": answered}) == (200, "")
    to_lead = await eventually(
        lambda: [m for m in _dm(fake_slack, RESPECT_LEAD) if answered in json.dumps(m)]
    )
    assert _value_of(to_lead[0], "Reply") == value  # the lead can keep the thread going
    await eventually(lambda: [m for m in _dm(fake_slack, author) if "Sent" in m["text"]])

    # Everything the lead received: the modal, the ephemeral, their DMs, response_url bodies.
    lead_saw = json.dumps(
        [
            [v for v in fake_slack.views if v.get("trigger_id") == click["trigger_id"]],
            [e for e in fake_slack.ephemerals if e["user"] == RESPECT_LEAD],
            _dm(fake_slack, RESPECT_LEAD),
            fake_slack.responses,
        ]
    )
    with core.reading() as session:
        names = [p.display_name for p in session.exec(select(PersonRecord)) if p.display_name]
    traces = [author, WRITERS[4], core.vault.respondent_key(WRITERS[4]),
              fake_slack.dms[author], fake_slack.users[author]["real_name"], *names]  # fmt: skip
    for trace in traces:
        assert trace not in lead_saw, trace


async def test_anonymous_mode_posts_no_reply_button(
    slack_server: SlackServer, fake_slack: FakeSlack
) -> None:
    core = slack_server.core
    program = core.require_program()
    anonymity = program.anonymity.model_copy(update={"mode": "anonymous"})
    core.program = program.model_copy(update={"anonymity": anonymity})
    digest = await _posted_digest(slack_server, fake_slack)
    values = [e["value"] for b in digest["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert values == [PLAN]
    assert "in anonymous mode nothing links a comment" in json.dumps(digest["blocks"])


def test_forms_section_buttons_and_announcements_render_inside_slacks_limits() -> None:
    choices = tuple(Choice(f"q{i}", f"Question {i} " + "w" * 90) for i in range(130))
    form = Form("Plan an action for the whole organization", "Record and announce everything",
                "learning-action", (FormField("what", "What", required=True),
                                    FormField("question", "Which", kind="choice", choices=choices),
                                    FormField("due", "Due", kind="date"),
                                    FormField("empty", "Nothing to pick", kind="choice")),
                fixed="respect")  # fmt: skip
    asking = Report("Plan", summary="For Respectful workplace. " * 300, form=form)
    view = render.form_modal(
        asking, form, actions.FormContext("learning-action", "x").dumps() or ""
    )
    View(**view).validate_json()
    for raw in view["blocks"]:
        assert Block.parse(raw) is not None
    assert len(view["blocks"]) <= render.MAX_VIEW_BLOCKS
    assert len(_inputs(view)["lp_field:question"]["element"]["options"]) == 100
    assert _inputs(view)["lp_field:empty"]["element"]["type"] == "plain_text_input"
    assert actions.FormContext("learning-reply", "t" * 4000).dumps() is None  # too long

    buttons = tuple(Choice(f"/learning-reply token{i}", f"Reply {i}") for i in range(30))
    sections = (
        Section("Comments", ("“a”",), (), buttons),
        Section("More", ("“b”",), (), buttons[:2]),
    )
    too_long = Choice("/x " + "y" * 2001, "Long")
    report = Report("Digest", sections=sections, actions=(Choice(PLAN, "Plan an action"), too_long))
    blocks = render.report_blocks(report)
    check_limits(blocks)
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(action_ids) == len(set(action_ids)) == 30 + 2 + 1  # the too-long value left out
    first = next(b for b in blocks if b["type"] == "actions")
    assert blocks[blocks.index(first) - 1]["text"]["text"].startswith("*Comments*")

    lines = ("You told us: 3.1 of 5", "We are <acting>.")
    announcement = Prompt(7, "Respectful workplace", TITLE, (), "", "", PromptState.CLOSED,
                          can_change=False, lines=lines)  # fmt: skip
    shown = render.prompt_blocks(announcement)
    check_limits(shown)
    assert not [b for b in shown if b["type"] == "actions"]
    assert "We are &lt;acting&gt;." in json.dumps(shown)
    assert "has closed" not in json.dumps(shown)
    assert render.prompt_text(announcement).startswith(f"{TITLE}: You told us")
