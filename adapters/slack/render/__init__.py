"""Core messages → Block Kit, always inside Slack's limits.

``prompts``: a prompt DM and its re-renders; ``reports``: digests, overviews, notices and the App
Home tab; ``modals``: the comment and free-text answer modals; ``forms``: a core form as a
modal; ``blocks``: the building blocks
and Slack's limits they keep to. Callers use what is listed here.
"""

from __future__ import annotations

from adapters.slack.render.blocks import (
    MAX_MESSAGE_BLOCKS,
    MAX_OPTION_TEXT,
    MAX_TEXT,
    MAX_VIEW_BLOCKS,
    Block,
)
from adapters.slack.render.forms import form_in_words, form_modal
from adapters.slack.render.modals import comment_modal, text_answer_modal
from adapters.slack.render.prompts import _layout, prompt_blocks, prompt_text
from adapters.slack.render.reports import home_view, report_blocks, report_text

__all__ = [
    "MAX_MESSAGE_BLOCKS",
    "MAX_OPTION_TEXT",
    "MAX_TEXT",
    "MAX_VIEW_BLOCKS",
    "Block",
    "_layout",  # the cache of prompt layouts: its hits show what a re-render reused
    "comment_modal",
    "form_in_words",
    "form_modal",
    "home_view",
    "prompt_blocks",
    "prompt_text",
    "report_blocks",
    "report_text",
    "text_answer_modal",
]
