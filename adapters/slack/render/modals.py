"""The modals a prompt opens: a comment on a recorded answer, and a free-text answer."""

from __future__ import annotations

from typing import Any

from adapters.slack import actions
from adapters.slack.render.blocks import MAX_MODAL_TITLE, Block, bold, context, plain, section


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
