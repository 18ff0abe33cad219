"""A prompt as Block Kit: one DM with the question(s) and one-click answers, the privacy note
and snooze. After an answer the same message shows what was recorded, with "Change answer" and
"Add a comment" while the window is open; once closed, only what was recorded and that the
window closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache, partial

from adapters.slack import actions
from adapters.slack.render.blocks import (
    MAX_ACTIONS_ELEMENTS,
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_BLOCKS,
    Block,
    bold,
    button,
    clip,
    context,
    escape,
    fit,
    header,
    md,
    option,
    section,
    sections_of,
    static_select,
)
from bot.messages import Prompt, PromptItem, PromptState

BUTTON_KINDS = ("scale", "enps", "yes_no")
SNOOZE_CHOICES = ((1, "Snooze 1 day"), (7, "Snooze 1 week"))
CHOOSE = "Choose an answer…"  # what a menu shows until the person picks: never an option


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
    if is_announcement(prompt):
        return _announcement_blocks(prompt)
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
        tail.append(snooze_actions(prompt.delivery_id))
    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    body = fit(body, room, "More questions are waiting in the LearnPulse Home tab.")
    return [*head, *body, *tail]


def is_announcement(prompt: Prompt) -> bool:
    """An announcement ("you said, we did"): lines to read and nothing to answer."""
    return not prompt.items and bool(prompt.lines)


def _announcement_blocks(prompt: Prompt) -> list[Block]:
    """Header, the workstream, the lines: no answer buttons, no snooze, nothing closing."""
    blocks: list[Block] = [header(prompt.title), context(f"*{escape(prompt.workstream)}*")]
    blocks.extend(sections_of("\n".join(md(line) for line in prompt.lines)))
    if prompt.privacy_note:
        blocks.append(context(f":lock: {escape(prompt.privacy_note)}"))
    return fit(blocks, MAX_MESSAGE_BLOCKS, "Shortened to fit in one Slack message.")


def prompt_text(prompt: Prompt) -> str:
    """The notification / accessibility text of a prompt message."""
    if is_announcement(prompt):
        return clip(f"{prompt.title}: {' '.join(prompt.lines)}", MAX_FALLBACK_TEXT)
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


def snooze_actions(delivery_id: int | None) -> Block:
    """Snooze for a day or a week; the block is named for the prompt's delivery, or for the Home
    tab (None)."""
    return {
        "type": "actions",
        "block_id": actions.snooze_block_id(delivery_id),
        "elements": [
            button(label, f"{actions.SNOOZE}_{days}", str(days)) for days, label in SNOOZE_CHOICES
        ],
    }
