"""Every card the Teams adapter can produce parses cleanly in Microsoft's own parser, and
carries what the answer path needs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from adapters.teams import render
from bot.messages import Choice, Prompt, PromptState, Report, Section, notice
from tests.adapters.teams.cardcheck import CardChecker
from tests.sample_prompts import ENPS, SCALE, YES_NO, prompt_item
from tests.sample_prompts import prompt as sample_prompt
from tests.support import nodes_where

OPTIONS = (Choice("Video", "Video"), Choice("Mentoring", "Mentoring"), Choice("Books", "Books"))
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


ITEMS = (
    prompt_item("scale", SCALE),
    prompt_item("enps", ENPS),
    prompt_item("yes_no", YES_NO),
    prompt_item("choice", OPTIONS),
    prompt_item("text", comment_invited=False),
)


def prompt(state: PromptState = PromptState.OPEN, **extra: Any) -> Prompt:
    return sample_prompt(*ITEMS, state=state, **extra)


def answered() -> Prompt:
    items = tuple(
        replace(i, recorded="4 · label 4", recorded_comment=i.comment_invited) for i in ITEMS
    )
    return replace(prompt(PromptState.ANSWERED), items=items, status_line="Thanks, recorded.")


def every_card() -> list[dict[str, Any]]:
    report = Report(
        title="LMS rollout — weekly digest",
        summary="Response rate 62% (+4 pts).",
        sections=(
            Section("Key measures", lines=("Confidence 3.9 vs target 4.0",), fields=(("n", "41"),)),
            Section("Comments", lines=("Mostly positive (0.31).",)),
        ),
        image_png=PNG,
        image_alt="Key measure trend",
        actions=(Choice("learning-status lms", "Status"),),
    )
    return [
        render.prompt_card(prompt()),
        render.prompt_card(prompt(is_reminder=True)),
        render.prompt_card(answered()),
        render.prompt_card(replace(answered(), can_change=False)),
        render.prompt_card(replace(answered(), state=PromptState.CLOSED)),
        render.prompt_card(prompt(PromptState.CLOSED)),
        render.report_card(report),
        render.report_card(notice("Paused for 7 days.")),
    ]


def test_every_card_parses_without_errors_or_warnings(cards: CardChecker) -> None:
    cards.assert_valid(*every_card())


def test_the_parser_does_catch_a_broken_card(cards: CardChecker) -> None:
    broken = render.prompt_card(prompt())
    broken["body"].append({"type": "Input.Text", "id": "answer:q-text"})  # a duplicate id
    broken["body"].append({"type": "Carousel3D"})
    (report,) = cards.problems([broken])
    events = {problem["event"] for problem in report["errors"]}
    assert {"DuplicateId", "UnknownElementType"} <= events


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return nodes_where(card, lambda n: str(n.get("type", "")).startswith("Action.") and "verb" in n)


def test_answer_buttons_carry_delivery_question_and_value_with_a_submit_fallback() -> None:
    card = render.prompt_card(prompt())
    answers = [a for a in _actions(card) if a["verb"] == "answer"]
    scale = [a for a in answers if a["data"]["question_id"] == "q-scale"]
    assert [a["data"] for a in scale] == [
        {"delivery_id": 42, "question_id": "q-scale", "value": str(i)} for i in range(1, 6)
    ]
    assert all(a["type"] == "Action.Execute" for a in answers)
    assert all(
        a["fallback"]["type"] == "Action.Submit" and a["fallback"]["data"]["verb"] == "answer"
        for a in answers
    )
    enps_rows = [
        len(block["actions"])
        for container in card["body"]
        if container["type"] == "Container" and container["items"][0]["text"].startswith("A enps")
        for block in container["items"]
        if block["type"] == "ActionSet"
    ]
    assert enps_rows == [4, 4, 3]


def test_answered_card_shows_the_answer_and_closed_card_has_no_buttons() -> None:
    text = str(render.prompt_card(answered()))
    assert "Your answer: 4 · label 4 (with your comment)" in text
    assert any(a["verb"] == "comment" for a in _actions(render.prompt_card(answered())))
    closed = render.prompt_card(replace(answered(), state=PromptState.CLOSED))
    assert _actions(closed) == []
    assert "no longer be answered" in str(closed)


def test_report_card_embeds_the_chart_as_a_data_uri() -> None:
    card = every_card()[6]
    images = [b for b in card["body"] if b["type"] == "Image"]
    assert images[0]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert images[0]["altText"] == "Key measure trend"


def test_invoke_response_replaces_the_card() -> None:
    card = render.prompt_card(answered())
    assert render.invoke_card_response(card) == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.card.adaptive",
        "value": card,
    }


def test_a_field_named_by_a_whole_question_gets_its_own_line_in_full(cards: CardChecker) -> None:
    ask = "This week, the new learning platform made it easy to find the learning I needed."
    report = Report(
        title="Status",
        sections=(
            Section("LMS rollout", fields=(("Phase", "pilot"), (f"Key measure: {ask}", "4.3 / 5"))),
        ),
    )
    card = render.report_card(report)
    texts = [b["text"] for b in nodes_where(card, lambda n: n.get("type") == "TextBlock")]
    assert texts[texts.index(f"Key measure: {ask}") + 1] == "4.3 / 5"
    (facts,) = [b["facts"] for b in nodes_where(card, lambda n: n.get("type") == "FactSet")]
    assert facts == [{"title": "Phase", "value": "pilot"}]
    cards.assert_valid(card)


def test_a_zero_to_ten_question_says_what_its_ends_mean(cards: CardChecker) -> None:
    enps = replace(ITEMS[1], ends=("Not at all likely", "Extremely likely"))
    card = render.prompt_card(replace(prompt(), items=(enps,)))
    (container,) = [b for b in card["body"] if b["type"] == "Container"]
    kinds = [b["type"] for b in container["items"]]
    assert kinds[-4:] == ["ActionSet", "ActionSet", "ActionSet", "TextBlock"]
    assert container["items"][-1]["text"] == "0 = Not at all likely · 10 = Extremely likely"
    cards.assert_valid(card)


def test_a_choice_menu_starts_empty_on_a_placeholder(cards: CardChecker) -> None:
    for card in (render.prompt_card(prompt()), render.prompt_card(answered())):
        (menu,) = [
            control
            for block in card["body"]
            if block["type"] == "Container"
            for control in block["items"]
            if control["type"] == "Input.ChoiceSet"
        ]
        assert "value" not in menu and menu["placeholder"] == "Choose an answer…"
        cards.assert_valid(card)
