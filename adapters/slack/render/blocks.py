"""Block Kit's building blocks, each inside Slack's hard limits: text is clipped between words
and marked "…", long text runs on into further sections, a list of blocks that does not fit says
what was cut.
"""

from __future__ import annotations

import re
from typing import Any

from adapters.slack.refs import mention
from surveys.references import name_references

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000  # section text, context element text
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_ACTIONS_ELEMENTS = 25
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_FALLBACK_TEXT = 4000
MAX_MODAL_TITLE = 24


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
        "value": clip(value, MAX_BUTTON_VALUE),
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
