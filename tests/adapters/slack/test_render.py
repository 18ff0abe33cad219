"""Every block the adapter can produce parses with slack_sdk and stays inside Slack's limits."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.slack import actions, render
from bot.messages import Choice, Prompt, PromptItem, PromptState, Report, Section, notice
from tests.sample_prompts import ENPS, PRIVACY_NOTE, SCALE, YES_NO, prompt_item
from tests.sample_prompts import prompt as sample_prompt

OPTIONS = tuple(Choice(f"Option {i} " + "x" * 90, f"Option {i} " + "y" * 90) for i in range(120))


def item(
    kind: str, choices: tuple[Choice, ...], recorded: str | None = None, ask: str = "", n: int = 0
) -> PromptItem:
    """An item whose ask holds mrkdwn's control characters (``n`` numbers one of many)."""
    return prompt_item(
        kind,
        choices,
        question_id=f"q-{kind}" + (f"-{n}" if n else ""),
        ask=ask or f"How was your {kind} <week> & why?",
        recorded=recorded,
    )


ALL_ITEMS = [
    item("scale", SCALE),
    item("enps", ENPS),
    item("yes_no", YES_NO),
    item("choice", OPTIONS),
    item("text", ()),
]


def prompt(items: list[PromptItem], state: PromptState = PromptState.OPEN, **extra: Any) -> Prompt:
    """A prompt of ``items`` whose title is longer than a Slack header takes."""
    title = "Learning Management System rollout " * 10
    return sample_prompt(*items, state=state, title=title, **extra)


def prompts() -> list[Prompt]:
    answered = [
        item(i.kind, i.choices, recorded=(i.choices[0].label if i.choices else "words"))
        for i in ALL_ITEMS
    ]
    many = [item("scale", SCALE, ask=f"Statement {n}", n=n) for n in range(1, 40)]
    return [
        prompt(ALL_ITEMS),
        prompt(ALL_ITEMS, is_reminder=True, status_line="A reminder: this closes soon."),
        prompt(answered, PromptState.ANSWERED),
        prompt(answered, PromptState.CLOSED, can_change=False),
        prompt(ALL_ITEMS, PromptState.CLOSED, can_change=False),
        prompt(many),
        prompt([item("scale", SCALE, ask="long " * 2000)]),
    ]


def reports() -> list[Report]:
    long_lines = tuple(f"line {i}: " + "detail " * 60 for i in range(200))
    return [
        notice("Paused <until> Friday & then back."),
        Report(
            title="Weekly digest: LMS rollout " * 10,
            summary="Response rate 64% (+8 pts). " * 200,
            sections=tuple(
                Section(
                    f"Question {n}",
                    long_lines[:20],
                    tuple((f"label {i}", "v" * 2500) for i in range(23)),
                )
                for n in range(30)
            ),
            image_png=b"\x89PNG",
            image_alt="Key measures over the last 8 weeks",
            actions=tuple(Choice(f"snooze:{i}", f"Pause {i} days") for i in range(30)),
        ),
        Report(title="Empty", sections=(Section("Nothing yet"),)),
    ]


def check_limits(blocks: list[dict[str, Any]], max_blocks: int = render.MAX_MESSAGE_BLOCKS) -> None:
    assert 0 < len(blocks) <= max_blocks
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        parsed.validate_json()
        kind = raw["type"]
        if kind == "section":
            if "text" in raw:
                assert len(raw["text"]["text"]) <= 3000
            for field in raw.get("fields", []):
                assert len(field["text"]) <= 2000
            assert len(raw.get("fields", [])) <= 10
        if kind == "header":
            assert len(raw["text"]["text"]) <= 150
        if kind == "context":
            assert len(raw["elements"]) <= 10
        if kind == "actions":
            assert len(raw["elements"]) <= 25
            ids = [e["action_id"] for e in raw["elements"]]
            assert len(ids) == len(set(ids))
            for element in raw["elements"]:
                if element["type"] == "button":
                    assert len(element["text"]["text"]) <= 75
                    assert len(element["value"]) <= 2000
                else:
                    assert len(element["options"]) <= 100
                    for option in element["options"]:
                        assert len(option["text"]["text"]) <= 75
                        assert len(option["value"]) <= 150


@pytest.mark.parametrize("index", range(len(prompts())))
def test_every_prompt_state_renders_valid_blocks(index: int) -> None:
    blocks = render.prompt_blocks(prompts()[index])
    check_limits(blocks)
    assert len(render.prompt_text(prompts()[index])) <= 4000


@pytest.mark.parametrize("index", range(len(reports())))
def test_every_report_renders_valid_blocks_as_a_message_and_as_the_home_tab(index: int) -> None:
    report = reports()[index]
    check_limits(render.report_blocks(report))
    home = render.home_view(report, notice("Paused for a week."))
    View(**home).validate_json()  # raises SlackObjectFormationError on what Slack refuses
    check_limits(home["blocks"], render.MAX_VIEW_BLOCKS)


def test_an_open_prompt_offers_one_click_answers_snooze_and_the_privacy_note() -> None:
    blocks = render.prompt_blocks(prompt([item("scale", SCALE), item("choice", OPTIONS[:3])]))
    scale = next(b for b in blocks if b.get("block_id") == actions.item_block_id(42, "q-scale"))
    assert [e["value"] for e in scale["elements"]] == ["1", "2", "3", "4", "5"]
    choice = next(b for b in blocks if b.get("block_id") == actions.item_block_id(42, "q-choice"))
    assert choice["elements"][0]["type"] == "static_select"
    texts = str(blocks)
    assert PRIVACY_NOTE in texts
    assert actions.snooze_block_id(42) in texts
    assert "&lt;week&gt; &amp; why" in texts  # mrkdwn control characters escaped


def test_an_answered_prompt_shows_the_answer_and_offers_change_and_comment() -> None:
    answered = item("scale", SCALE, recorded="4 · Agree")
    blocks = render.prompt_blocks(prompt([answered], PromptState.ANSWERED))
    controls = next(b for b in blocks if b.get("block_id") == actions.item_block_id(42, "q-scale"))
    change, comment = controls["elements"]
    assert change["action_id"] == actions.CHANGE
    assert "4" not in [o["value"] for o in change["options"]]
    assert comment["action_id"] == actions.COMMENT
    assert "Recorded: *4 · Agree*" in str(blocks)


@pytest.mark.parametrize("index", range(len(prompts())))
def test_prompts_that_differ_only_in_their_delivery_share_a_layout_but_name_their_own(
    index: int,
) -> None:
    first = prompts()[index]
    second = replace(first, delivery_id=7)
    rendered_first = render.prompt_blocks(first)
    before = copy.deepcopy(rendered_first)
    rendered_second = render.prompt_blocks(second)
    assert rendered_first == before  # rendering another delivery changed nothing already given
    for blocks, delivery in ((rendered_first, 42), (rendered_second, 7)):
        ids = [b["block_id"] for b in blocks if "block_id" in b]
        named = [actions.parse_item_block_id(i) for i in ids if i.startswith("lp:")]
        assert {d for d, _ in filter(None, named)} <= {delivery}
        if first.state is not PromptState.CLOSED:
            assert ids[-1] == actions.snooze_block_id(delivery)
    # apart from the ids, the two messages are the same
    unnamed = [{**b, "block_id": ""} for b in rendered_second]
    assert unnamed == [{**b, "block_id": ""} for b in rendered_first]
    assert rendered_second != rendered_first or first.state is PromptState.CLOSED


def test_a_free_text_answer_is_shown_as_your_answer_and_never_kept_for_reuse() -> None:
    def answered(words: str) -> Prompt:
        return prompt([item("text", (), recorded=words)], PromptState.ANSWERED)

    first = render.prompt_blocks(answered("I learn best by pairing with Ana"))
    hits = render._layout.cache_info().hits
    second = render.prompt_blocks(answered("nothing this week"))
    assert render._layout.cache_info().hits == hits + 1  # the words were not part of the key
    assert first == second
    assert "Recorded: *your answer*" in str(first) and "Ana" not in str(first)


def test_a_prompt_too_long_for_one_message_keeps_its_privacy_note_and_snooze() -> None:
    many = [item("scale", SCALE, ask=f"Statement {n}", n=n) for n in range(1, 40)]
    blocks = render.prompt_blocks(prompt(many))
    assert len(blocks) == render.MAX_MESSAGE_BLOCKS
    assert blocks[-1]["block_id"] == actions.snooze_block_id(42)
    assert PRIVACY_NOTE in str(blocks[-2])
    assert "Home tab" in str(blocks[-3])


def test_a_closed_prompt_has_no_controls_and_says_so() -> None:
    blocks = render.prompt_blocks(
        prompt([item("scale", SCALE, recorded="4 · Agree")], PromptState.CLOSED, can_change=False)
    )
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "has closed" in str(blocks)


def test_modals_parse_and_carry_their_context() -> None:
    context = actions.ModalContext(42, "q-text", "D0123")
    for modal in (render.comment_modal(context, "Why?"), render.text_answer_modal(context, None)):
        View(**modal).validate_json()
        for raw in modal["blocks"]:
            assert Block.parse(raw) is not None
        assert actions.ModalContext.loads(modal["private_metadata"]) == context
        assert len(modal["title"]["text"]) <= 24


WORDS = " ".join(f"word{i:04d}" for i in range(800))  # 7199 characters, no word longer than 8


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def test_a_question_too_long_for_slack_is_cut_between_words_and_marked() -> None:
    blocks = render.prompt_blocks(prompt([item("scale", SCALE, ask=WORDS)]))
    (asked,) = [t for t in _texts(blocks) if t.startswith("*word0000")]
    assert len(asked) <= render.MAX_TEXT
    head = asked.removeprefix("*").removesuffix("*").removesuffix("…")
    assert asked.endswith("…*") and WORDS.startswith(head + " ")  # whole words only
    short = render.prompt_blocks(prompt([item("scale", SCALE, ask="Short and whole?")]))
    assert "*Short and whole?*" in _texts(short)


def test_a_long_report_line_continues_in_the_next_section_between_words() -> None:
    blocks = render.report_blocks(Report(title="Digest", sections=(Section("Notes", (WORDS,)),)))
    texts = _texts(blocks)
    assert texts[0] == "*Notes*" and all(len(t) <= render.MAX_TEXT for t in texts)
    shown = " ".join(texts[1:])
    assert shown == WORDS  # nothing cut off, no word split
    assert all(len(t.split()[-1]) == len(t.split()[0]) == 8 for t in texts[1:])


def test_option_labels_longer_than_slack_allows_end_on_a_whole_word() -> None:
    long_option = "Exploring a new skill outside my current role " * 3
    choices = (Choice("a", long_option.strip()), Choice("b", "Books"))
    blocks = render.prompt_blocks(prompt([item("choice", choices)]))
    select = next(b for b in blocks if b["type"] == "actions")["elements"][0]
    label = select["options"][0]["text"]["text"]
    assert len(label) <= render.MAX_OPTION_TEXT and label.endswith("…")
    assert long_option.startswith(label.removesuffix("…") + " ")


def test_references_in_report_text_become_slack_mentions_in_mrkdwn_only() -> None:
    report = Report(
        title="Posted to slack:channel:C0LMSLEAD1",
        summary="Posted the lms digest to slack:channel:C0LMSLEAD1.",
        sections=(
            Section("Leads", ("Lead: slack:U0LEAD0001 & co",), (("To", "slack:U0LEAD0001"),)),
        ),
    )
    blocks = render.report_blocks(report)
    check_limits(blocks)
    texts = " ".join(_texts(blocks))
    assert "Posted the lms digest to <#C0LMSLEAD1>." in texts
    assert "Lead: <@U0LEAD0001> &amp; co" in texts
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]
    assert fields == ["*To*\n<@U0LEAD0001>"]
    header = blocks[0]["text"]
    assert header["type"] == "plain_text" and header["text"] == "Posted to a Slack channel"
    assert "<#C0LMSLEAD1>" in render.report_text(report)
    assert "slack:" not in str(blocks) + render.report_text(report)


def test_a_zero_to_ten_question_says_what_its_ends_mean_under_the_buttons() -> None:
    enps = replace(item("enps", ENPS), ends=("Not at all likely", "Extremely likely"))
    blocks = render.prompt_blocks(prompt([enps]))
    at = next(i for i, b in enumerate(blocks) if b.get("block_id", "").endswith(":q-enps"))
    assert [e["value"] for e in blocks[at]["elements"]] == [str(n) for n in range(11)]
    assert blocks[at + 1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "0 = Not at all likely · 10 = Extremely likely"}],
    }
    changing = render.prompt_blocks(prompt([replace(enps, recorded="7")], PromptState.ANSWERED))
    assert "0 = Not at all likely" in str(changing)
    closed = render.prompt_blocks(
        prompt([replace(enps, recorded="7")], PromptState.CLOSED, can_change=False)
    )
    assert "Not at all likely" not in str(closed)  # nothing to choose, nothing to explain


def test_a_choice_menu_starts_with_nothing_chosen() -> None:
    for state, recorded in ((PromptState.OPEN, None), (PromptState.ANSWERED, OPTIONS[0].label)):
        choice = item("choice", OPTIONS[:3], recorded=recorded)
        blocks = render.prompt_blocks(prompt([choice], state))
        (menu,) = [
            e for b in blocks if b["type"] == "actions" for e in b["elements"]
            if e["type"] == "static_select"
        ]  # fmt: skip
        assert "initial_option" not in menu
        if recorded is None:
            assert menu["placeholder"]["text"] == "Choose an answer…"
