"""Neutral messages to JSON and back, so the playground stores what the core said, not HTML.

The page renders from these stored bodies every time it is drawn; a prompt updated by the core
(answer recorded, window closed) therefore shows its new state on the next load.
"""

from __future__ import annotations

import base64
from typing import Any

from bot.messages import (
    Choice,
    Form,
    FormField,
    Prompt,
    PromptItem,
    PromptState,
    Report,
    Section,
)


def prompt_to_json(prompt: Prompt) -> dict[str, Any]:
    """A prompt as a JSON-safe dict."""
    return {
        "delivery_id": prompt.delivery_id,
        "workstream": prompt.workstream,
        "title": prompt.title,
        "items": [
            {
                "question_id": item.question_id,
                "ask": item.ask,
                "kind": item.kind,
                "choices": [[c.value, c.label] for c in item.choices],
                "comment_invited": item.comment_invited,
                "recorded": item.recorded,
                "recorded_comment": item.recorded_comment,
                "ends": list(item.ends) if item.ends else None,
            }
            for item in prompt.items
        ],
        "privacy_note": prompt.privacy_note,
        "closes": prompt.closes,
        "state": prompt.state.value,
        "can_change": prompt.can_change,
        "is_reminder": prompt.is_reminder,
        "status_line": prompt.status_line,
        "lines": list(prompt.lines),
    }


def prompt_from_json(data: dict[str, Any]) -> Prompt:
    """The inverse of ``prompt_to_json``."""
    return Prompt(
        delivery_id=int(data["delivery_id"]),
        workstream=data["workstream"],
        title=data["title"],
        items=tuple(
            PromptItem(
                question_id=item["question_id"],
                ask=item["ask"],
                kind=item["kind"],
                choices=tuple(Choice(value, label) for value, label in item["choices"]),
                comment_invited=bool(item["comment_invited"]),
                recorded=item.get("recorded"),
                recorded_comment=bool(item.get("recorded_comment", False)),
                ends=(item["ends"][0], item["ends"][1]) if item.get("ends") else None,
            )
            for item in data["items"]
        ),
        privacy_note=data["privacy_note"],
        closes=data["closes"],
        state=PromptState(data.get("state", PromptState.OPEN.value)),
        can_change=bool(data.get("can_change", True)),
        is_reminder=bool(data.get("is_reminder", False)),
        status_line=data.get("status_line"),
        lines=tuple(data.get("lines", ())),
    )


def report_to_json(report: Report) -> dict[str, Any]:
    """A report as a JSON-safe dict; the chart travels as base64 PNG."""
    return {
        "title": report.title,
        "summary": report.summary,
        "sections": [
            {
                "heading": s.heading,
                "lines": list(s.lines),
                "fields": [[label, value] for label, value in s.fields],
                "actions": _choices_to_json(s.actions),
            }
            for s in report.sections
        ],
        "image_png": base64.b64encode(report.image_png).decode("ascii")
        if report.image_png
        else None,
        "image_alt": report.image_alt,
        "actions": _choices_to_json(report.actions),
        "form": _form_to_json(report.form) if report.form is not None else None,
    }


def report_from_json(data: dict[str, Any]) -> Report:
    """The inverse of ``report_to_json``."""
    image = data.get("image_png")
    return Report(
        title=data["title"],
        summary=data.get("summary"),
        sections=tuple(
            Section(
                heading=s["heading"],
                lines=tuple(s.get("lines", ())),
                fields=tuple((label, value) for label, value in s.get("fields", ())),
                actions=_choices_from_json(s.get("actions", ())),
            )
            for s in data.get("sections", ())
        ),
        image_png=base64.b64decode(image) if image else None,
        image_alt=data.get("image_alt", ""),
        actions=_choices_from_json(data.get("actions", ())),
        form=_form_from_json(data["form"]) if data.get("form") else None,
    )


def _choices_to_json(choices: tuple[Choice, ...]) -> list[list[str]]:
    return [[c.value, c.label] for c in choices]


def _choices_from_json(data: Any) -> tuple[Choice, ...]:
    return tuple(Choice(value, label) for value, label in data)


def _form_to_json(form: Form) -> dict[str, Any]:
    return {
        "title": form.title,
        "submit": form.submit,
        "command": form.command,
        "fixed": form.fixed,
        "fields": [
            {
                "name": f.name,
                "label": f.label,
                "kind": f.kind,
                "choices": _choices_to_json(f.choices),
                "required": f.required,
                "placeholder": f.placeholder,
            }
            for f in form.fields
        ],
    }


def _form_from_json(data: dict[str, Any]) -> Form:
    return Form(
        title=data["title"],
        submit=data["submit"],
        command=data["command"],
        fixed=data.get("fixed", ""),
        fields=tuple(
            FormField(
                name=f["name"],
                label=f["label"],
                kind=f.get("kind", "text"),
                choices=_choices_from_json(f.get("choices", ())),
                required=bool(f.get("required", False)),
                placeholder=f.get("placeholder", ""),
            )
            for f in data.get("fields", ())
        ),
    )
