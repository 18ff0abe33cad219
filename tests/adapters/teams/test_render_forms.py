"""The cards of closing the loop: a form's inputs and its submit action, a section's own
buttons, and an announcement; each parses in Microsoft's parser, and a submission is read back
into the command the form stands for."""

from __future__ import annotations

from typing import Any

from adapters.teams import forms, render, translate
from bot.events import CommandIssued
from bot.messages import Choice, Form, FormField, Prompt, PromptState, Report, Section, notice
from tests.adapters.teams.cardcheck import CardChecker
from tests.support import nodes_where

Card = dict[str, Any]
PLAN = Form(
    title="Plan an action",
    submit="Record and announce",
    command="learning-action",
    fixed="lms",
    fields=(
        FormField("what", "What we are doing", required=True, placeholder="For example: …"),
        FormField("question", "About which question (optional)", kind="choice",
                  choices=(Choice("lms-confidence", "I feel confident using the LMS"),)),
        FormField("due", "Due date (optional)", kind="date"),
    ),
)  # fmt: skip
ANNOUNCEMENT = Prompt(
    delivery_id=7, workstream="LMS rollout", title="You said, we did", items=(),
    privacy_note="", closes="", state=PromptState.CLOSED, can_change=False,
    lines=("You told us: confidence 3.1 of 5.", "What we are doing: weekly office hours."),
)  # fmt: skip
DIGEST = Report(
    title="LMS rollout: digest",
    sections=(
        Section("Comments", ("“Too many logins.” (negative)",), (("People", "6"),),
                (Choice("/learning-reply tok1", "Reply to the negative comment"),)),
        Section("", ("Only you received this.",)),
        Section(""),
    ),
    actions=(Choice("/learning-action lms plan", "Plan an action"),),
)  # fmt: skip


def _inputs(card: Card) -> dict[str, Card]:
    return {
        n["id"]: n for n in nodes_where(card, lambda n: str(n.get("type")).startswith("Input."))
    }


def _executes(card: Card) -> list[Card]:
    return nodes_where(card, lambda n: n.get("type") == "Action.Execute")


def test_a_form_is_inputs_and_one_run_action_carrying_command_and_fixed_text() -> None:
    card = render.report_card(Report(title=PLAN.title, summary="For LMS rollout.", form=PLAN))
    inputs = _inputs(card)
    assert list(inputs) == ["form:what", "form:question", "form:due"]
    what, question, due = inputs.values()
    assert what["type"] == "Input.Text" and what["isMultiline"] and what["isRequired"]
    assert what["errorMessage"] and what["label"] == "What we are doing"
    assert question["type"] == "Input.ChoiceSet" and question["style"] == "compact"
    assert "isRequired" not in question and "value" not in question
    assert due["type"] == "Input.Date"
    (submit,) = _executes(card)
    assert submit["verb"] == render.RUN_VERB and submit["title"] == "Record and announce"
    assert submit["data"]["command"] == "learning-action" and submit["data"]["text"] == "lms"
    assert submit["fallback"]["data"]["verb"] == render.RUN_VERB


def test_a_submission_becomes_the_command_with_the_values_as_options() -> None:
    card = render.report_card(Report(title=PLAN.title, form=PLAN))
    (submit,) = _executes(card)
    data = {**submit["data"], "form:what": " Office hours ", "form:question": "lms-confidence",
            "form:due": "2026-12-18"}  # fmt: skip
    assert translate.action_event("teams:x", render.RUN_VERB, data) == CommandIssued(
        person="teams:x", name="learning-action", text="lms",
        options={"what": "Office hours", "question": "lms-confidence", "due": "2026-12-18"},
    )  # fmt: skip
    unchosen = {**submit["data"], "form:what": "Office hours", "form:question": ""}
    event = translate.action_event("teams:x", render.RUN_VERB, unchosen)
    assert isinstance(event, CommandIssued) and event.options == {"what": "Office hours"}


def test_the_reply_to_a_submission_keeps_what_was_sent() -> None:
    data = {**forms.submit_data(PLAN), "form:what": "Office hours", "form:due": "2026-12-18"}
    shown = forms.sent_back(notice("No workstream 'lms'."), data)
    (sent,) = shown.sections
    assert sent.lines == ("What we are doing: Office hours", "Due date (optional): 2026-12-18")
    follow_up = Report(title="Again", form=PLAN)
    assert forms.sent_back(follow_up, data) is follow_up


def test_a_sections_buttons_sit_in_its_container_and_run_their_command() -> None:
    card = render.report_card(DIGEST)
    containers = [b for b in card["body"] if b["type"] == "Container"]
    assert len(containers) == 2  # the empty section shows nothing
    (reply,) = _executes(containers[0])
    assert reply["data"] == {"value": "/learning-reply tok1"} and reply["verb"] == "run"
    assert [a["title"] for a in card["actions"]] == ["Plan an action"]
    event = translate.action_event("teams:x", "run", reply["data"])
    assert event == CommandIssued(person="teams:x", name="learning-reply", text="tok1")


def test_an_announcement_is_to_read_with_nothing_to_press() -> None:
    card = render.prompt_card(ANNOUNCEMENT)
    texts = [n["text"] for n in nodes_where(card, lambda n: n.get("type") == "TextBlock")]
    assert texts == ["You said, we did", "LMS rollout", *ANNOUNCEMENT.lines]
    assert "actions" not in card and nodes_where(card, lambda n: "verb" in n) == []


def test_every_new_card_parses(cards: CardChecker) -> None:
    plan = render.report_card(Report(title=PLAN.title, summary="For LMS rollout.", form=PLAN))
    reply_form = render.report_card(
        Report(
            title="Reply anonymously",
            sections=(Section("The comment", ("“Too many logins.”",)),),
            form=Form("Reply anonymously", "Send", "learning-reply",
                      (FormField("text", "Your reply to the lead", required=True),), "tok1"),
        )
    )  # fmt: skip
    cards.assert_valid(
        plan, reply_form, render.report_card(DIGEST), render.prompt_card(ANNOUNCEMENT)
    )
