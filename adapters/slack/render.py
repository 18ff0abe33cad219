"""Core messages → Block Kit, always inside Slack's limits.

A prompt is one DM: the question(s) with one-click answers, the privacy note and snooze. After an
answer the same message shows what was recorded, with "Change answer" and "Add a comment" while
the window is open; once closed, only what was recorded and that the window closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache, partial
from typing import Any

from adapters.slack import actions
from adapters.slack.refs import mention
from bot.messages import Prompt, PromptItem, PromptState, Report
from surveys.references import described, name_references

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000  # section text, context element text
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_ACTIONS_ELEMENTS = 25
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_FALLBACK_TEXT = 4000
MAX_MODAL_TITLE = 24

BUTTON_KINDS = ("scale", "enps", "yes_no")
SNOOZE_CHOICES = ((1, "Snooze 1 day"), (7, "Snooze 1 week"))
CHOOSE = "Choose an answer…"  # what a menu shows until the person picks: never an option


def escape(text: str) -> str:
    """Slack mrkdwn treats ``& < >`` as control characters; everything else is literal enough."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_LAST_BREAK = re.compile(r"\s+\S*$")


def md(text: str) -> str:
    """Report text as mrkdwn: escaped, and the core's references (``slack:channel:C…``,
    ``slack:U…``) as Slack mentions, which Slack shows as the channel's or person's name."""
    return name_references(escape(text), mention)


def clip(text: str, limit: int) -> str:
    """``text`` whole when it fits Slack's hard ``limit``; otherwise cut at the last word
    boundary that fits and marked "…" (mid-word only for a single word longer than the limit).
    """
    if len(text) <= limit:
        return text
    head, _ = _split_at_word(text, limit - 1)
    return head + "…"


def _split_at_word(text: str, limit: int) -> tuple[str, str]:
    """The longest head of ``text`` of at most ``limit`` characters that ends at a word
    boundary, and the rest (without the whitespace between them)."""
    if len(text) <= limit:
        return text, ""
    cut = text[: limit + 1]  # a break right after the limit still keeps the head whole
    found = _LAST_BREAK.search(cut)
    if found is None or found.start() == 0:
        return text[:limit], text[limit:]
    return text[: found.start()], text[found.start() :].lstrip()


def plain(text: str, limit: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def bold(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` escaped and bold, cut (between words) inside the asterisks if it must be."""
    return f"*{clip(escape(text), limit - 2)}*"


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, MAX_HEADER)}


def section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": clip(value, 2000),
    }
    if style:
        element["style"] = style
    return element


def option(value: str, label: str) -> Block:
    return {"text": plain(label, MAX_OPTION_TEXT), "value": value[:MAX_OPTION_VALUE]}


def static_select(action_id: str, placeholder: str, options: list[Block]) -> Block:
    """A menu with nothing chosen (no ``initial_option``): it shows ``placeholder`` until the
    person picks, and only picking sends anything."""
    return {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, 150),
        "options": options[:MAX_OPTIONS],
    }


def sections_of(text: str, limit: int = MAX_TEXT) -> list[Block]:
    """Long text as as many sections as it takes, split between lines where possible and
    else between words: nothing is cut off, it continues in the next section."""
    blocks: list[Block] = []
    chunk = ""
    for line in text.splitlines() or [""]:
        while len(line) > limit:
            if chunk:
                blocks.append(section(chunk))
                chunk = ""
            head, line = _split_at_word(line, limit)
            blocks.append(section(head))
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > limit:
            blocks.append(section(chunk))
            chunk = line
        else:
            chunk = candidate
    if chunk or not blocks:
        blocks.append(section(chunk))
    return blocks


def fit(blocks: list[Block], limit: int, overflow_note: str) -> list[Block]:
    """At most ``limit`` blocks; when something is cut, the last block says so."""
    if len(blocks) <= limit:
        return blocks
    return [*blocks[: limit - 1], context(overflow_note)]


# --- prompts -----------------------------------------------------------------------------------


def prompt_blocks(prompt: Prompt) -> list[Block]:
    """The whole prompt message; interactive only while its window is open.

    With more items than fit in 50 blocks, the last items give way; the privacy note and snooze
    always stay. One asking goes to thousands of people with the same prompt, and only the ids
    of its controls name the delivery: the layout is rendered once per distinct prompt, and
    each message gets its own copy of just the blocks that carry the delivery id. The other
    blocks are shared between messages, so callers must not change them. A free-text answer is
    never part of what is kept: the message only says "your answer".
    """
    template = replace(
        prompt,
        delivery_id=_TEMPLATE_DELIVERY,
        items=tuple(_without_free_text(item) for item in prompt.items),
    )
    return [
        block if name_for is None else {**block, "block_id": name_for(prompt.delivery_id)}
        for block, name_for in _layout(template)
    ]


_TEMPLATE_DELIVERY = 0  # never a stored delivery's id (ids start at 1)
_FREE_TEXT_SHOWN = "your answer"


def _without_free_text(item: PromptItem) -> PromptItem:
    if item.kind == "text" and item.recorded:
        return replace(item, recorded=_FREE_TEXT_SHOWN)
    return item


@lru_cache(maxsize=256)
def _layout(template: Prompt) -> tuple[tuple[Block, Callable[[int], str] | None], ...]:
    """The blocks of ``template``, each with how to name it for a delivery (None: it does not
    name one)."""
    layout: list[tuple[Block, Callable[[int], str] | None]] = []
    for block in _blocks_of(template):
        block_id = block.get("block_id", "")
        item = actions.parse_item_block_id(block_id)
        if item is not None:
            layout.append((block, partial(actions.item_block_id, question_id=item[1])))
        elif block_id == actions.snooze_block_id(template.delivery_id):
            layout.append((block, actions.snooze_block_id))
        else:
            layout.append((block, None))
    return tuple(layout)


def _blocks_of(prompt: Prompt) -> list[Block]:
    head: list[Block] = [header(prompt.title)]
    lead = "Reminder · " if prompt.is_reminder and prompt.state is PromptState.OPEN else ""
    window = "" if prompt.state is PromptState.CLOSED else f" · open until {escape(prompt.closes)}"
    head.append(context(f"{lead}*{escape(prompt.workstream)}*{window}"))
    if prompt.status_line:
        head.append(context(escape(prompt.status_line)))
    body = [block for item in prompt.items for block in _item_blocks(prompt, item)]
    tail: list[Block] = []
    if prompt.state is PromptState.CLOSED:
        tail.append(context(":lock: This question has closed; answers can no longer be changed."))
    tail.append(context(f":lock: {escape(prompt.privacy_note)}"))
    if prompt.state is not PromptState.CLOSED:
        tail.append(_snooze_actions(prompt.delivery_id))
    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    body = fit(body, room, "More questions are waiting in the LearnPulse Home tab.")
    return [*head, *body, *tail]


def prompt_text(prompt: Prompt) -> str:
    """The notification / accessibility text of a prompt message."""
    asks = " · ".join(item.ask for item in prompt.items)
    return clip(f"{prompt.title}: {asks}", MAX_FALLBACK_TEXT)


def _item_blocks(prompt: Prompt, item: PromptItem) -> list[Block]:
    blocks: list[Block] = [section(bold(item.ask))]
    open_window = prompt.state is not PromptState.CLOSED
    if item.recorded is not None:
        recorded = _label_of(item)
        note = " (with your comment)" if item.recorded_comment else ""
        blocks.append(context(f":white_check_mark: Recorded: *{escape(recorded)}*{note}"))
    elements: list[Block] = []
    block_id = actions.item_block_id(prompt.delivery_id, item.question_id)
    if open_window and item.recorded is None:
        elements.extend(_answer_elements(item))
    elif open_window and prompt.can_change:
        elements.extend(_change_elements(item))
    if open_window and item.recorded is not None and item.comment_invited:
        label = "Edit your comment" if item.recorded_comment else "Add a comment"
        elements.append(button(label, actions.COMMENT, "comment"))
    if elements:
        blocks.append({"type": "actions", "block_id": block_id, "elements": elements})
        if item.ends and item.choices and (item.recorded is None or prompt.can_change):
            blocks.append(context(ends_text(item)))
    elif item.recorded is None and not open_window:
        blocks.append(context("Not answered."))
    return blocks


def ends_text(item: PromptItem) -> str:
    """What the two ends of a bare-number scale mean: ``0 = Not at all likely · 10 = …``."""
    low, high = item.ends or ("", "")
    first, last = item.choices[0].label, item.choices[-1].label
    return escape(f"{first} = {low} · {last} = {high}")


def _label_of(item: PromptItem) -> str:
    if item.kind == "text":
        return _FREE_TEXT_SHOWN
    for choice in item.choices:
        if choice.value == item.recorded:
            return choice.label
    return item.recorded or ""


def _answer_elements(item: PromptItem) -> list[Block]:
    if not item.choices:
        return [button("Answer", actions.TEXT, "answer", style="primary")]
    if item.kind in BUTTON_KINDS and len(item.choices) < MAX_ACTIONS_ELEMENTS:
        return [
            button(choice.label, f"{actions.ANSWER}_{i}", choice.value)
            for i, choice in enumerate(item.choices)
        ]
    options = [option(c.value, c.label) for c in item.choices]
    return [static_select(actions.CHOICE, CHOOSE, options)]


def _change_elements(item: PromptItem) -> list[Block]:
    if not item.choices:
        return [button("Change answer", actions.TEXT, "change")]
    options = [
        option(c.value, c.label) for c in item.choices if item.recorded not in (c.value, c.label)
    ]
    return [static_select(actions.CHANGE, "Change answer", options)] if options else []


def _snooze_actions(delivery_id: int | None) -> Block:
    return {
        "type": "actions",
        "block_id": actions.snooze_block_id(delivery_id),
        "elements": [
            button(label, f"{actions.SNOOZE}_{days}", str(days)) for days, label in SNOOZE_CHOICES
        ],
    }


# --- reports -----------------------------------------------------------------------------------


def report_blocks(report: Report, limit: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    """A digest, overview, review or notice: header, summary, sections, action buttons."""
    blocks: list[Block] = [header(name_references(report.title, described))]
    if report.summary:
        blocks.extend(sections_of(md(report.summary)))
    for part in report.sections:
        blocks.append({"type": "divider"})
        lines = "\n".join(md(line) for line in part.lines)
        blocks.extend(sections_of(f"*{md(part.heading)}*" + (f"\n{lines}" if lines else "")))
        for start in range(0, len(part.fields), MAX_FIELDS):
            fields = part.fields[start : start + MAX_FIELDS]
            blocks.append(
                {
                    "type": "section",
                    "fields": [
                        mrkdwn(f"*{md(label)}*\n{md(value)}", MAX_FIELD_TEXT)
                        for label, value in fields
                    ],
                }
            )
    if report.image_png is not None and report.image_alt:
        blocks.append(context(f":bar_chart: {md(report.image_alt)}"))
    for start in range(0, len(report.actions), MAX_ACTIONS_ELEMENTS):
        chunk = report.actions[start : start + MAX_ACTIONS_ELEMENTS]
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{actions.REPORT}:{start}",
                "elements": [
                    button(choice.label, f"{actions.REPORT}_{start + i}", choice.value)
                    for i, choice in enumerate(chunk)
                ],
            }
        )
    return fit(blocks, limit, "This report was shortened to fit in one Slack message.")


def report_text(report: Report) -> str:
    """The notification text of a report message."""
    text = f"{report.title}: {report.summary}" if report.summary else report.title
    return clip(md(text), MAX_FALLBACK_TEXT)


def home_view(report: Report, notice: Report | None = None) -> dict[str, Any]:
    """The App Home tab: the person's own view, with snooze controls always present."""
    blocks: list[Block] = []
    if notice is not None and notice.summary:
        blocks.append(context(f":information_source: {md(notice.summary)}"))
    body = report_blocks(report, limit=MAX_VIEW_BLOCKS - len(blocks) - 1)
    blocks.extend(body)
    if not report.actions:
        blocks.append(_snooze_actions(None))
    return {"type": "home", "blocks": fit(blocks, MAX_VIEW_BLOCKS, "Shortened to fit.")}


# --- modals ------------------------------------------------------------------------------------


def comment_modal(modal: actions.ModalContext, ask: str | None) -> dict[str, Any]:
    """The "add a comment" modal; submitting it adds the comment to the recorded answer."""
    return _text_modal(actions.COMMENT_MODAL, "Add a comment", "Your comment", modal, ask)


def text_answer_modal(modal: actions.ModalContext, ask: str | None) -> dict[str, Any]:
    """The free-text answer modal of a ``text`` question."""
    return _text_modal(actions.TEXT_MODAL, "Your answer", "Your answer", modal, ask)


def _text_modal(
    callback_id: str, title: str, label: str, modal: actions.ModalContext, ask: str | None
) -> dict[str, Any]:
    blocks: list[Block] = []
    if ask:
        blocks.append(section(bold(ask)))
    blocks.append(
        {
            "type": "input",
            "block_id": actions.MODAL_INPUT_BLOCK,
            "label": plain(label, 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": actions.MODAL_INPUT_ACTION,
                "multiline": True,
                "max_length": 2000,
            },
        }
    )
    blocks.append(context("Comments may be quoted in digests, verbatim but never with your name."))
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": modal.dumps(),
        "title": plain(title, MAX_MODAL_TITLE),
        "submit": plain("Save", MAX_MODAL_TITLE),
        "close": plain("Cancel", MAX_MODAL_TITLE),
        "blocks": blocks,
    }
