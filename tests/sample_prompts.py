"""Neutral prompts, as the core hands them to every adapter, for the adapters' render and send
tests: the answer scales, one item of any kind, and a prompt around items."""

from __future__ import annotations

from typing import Any

from bot.messages import Choice, Prompt, PromptItem, PromptState

SCALE = tuple(
    Choice(str(i), f"{i} · {label}")
    for i, label in enumerate(
        ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"], start=1
    )
)
ENPS = tuple(Choice(str(i), str(i)) for i in range(11))
YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))
PRIVACY_NOTE = "Confidential: shown only in totals of at least 5 people."


def prompt_item(
    kind: str,
    choices: tuple[Choice, ...] = (),
    *,
    question_id: str | None = None,
    ask: str | None = None,
    comment_invited: bool = True,
    recorded: str | None = None,
) -> PromptItem:
    """One question of ``kind``: id ``q-<kind>`` and ask "A <kind> question?" unless given."""
    return PromptItem(
        question_id=question_id or f"q-{kind}",
        ask=ask or f"A {kind} question?",
        kind=kind,
        choices=choices,
        comment_invited=comment_invited,
        recorded=recorded,
    )


def prompt(
    *items: PromptItem, delivery_id: int = 42, state: PromptState = PromptState.OPEN, **extra: Any
) -> Prompt:
    """A prompt of ``items``; ``extra`` sets any other field (title, privacy_note, …)."""
    fields: dict[str, Any] = {
        "workstream": "LMS rollout",
        "title": "Weekly pulse",
        "privacy_note": PRIVACY_NOTE,
        "closes": "Wed 2 Dec, 17:00",
        **extra,
    }
    return Prompt(delivery_id=delivery_id, items=items, state=state, **fields)
