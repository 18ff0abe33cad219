"""A core ``Form`` as Adaptive Card inputs, and a submitted form read back into a command.

Each field is an input whose id is ``form:<name>``: free text an ``Input.Text`` (multiline),
a choice a compact ``Input.ChoiceSet``, a date an ``Input.Date``; a required one carries
``isRequired`` and an ``errorMessage`` so Teams checks it before sending. The submit button is
the report cards' ``run`` action; its data carries the command, its fixed text and what the
fields are (names, kinds, labels, choices), so a submission is checked here with a clear
message before the core sees it. That check is for the person filling the form; the core
checks every value again, since a client can send any data it likes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.commands.table import COMMAND_NAMES
from bot.events import CommandIssued
from bot.messages import Form, FormField, Report, Section

Card = dict[str, Any]

INPUT_PREFIX = "form:"
TEXT_MAX = 1000  # what a form's free text may hold (a reply on a comment is at most that)
FIXED_MAX = 200
MAX_FIELDS = 10
CHOOSE = "Choose…"
OUT_OF_DATE = "That form is out of date; open it again."
UNKNOWN = "That button is not something LearnPulse knows."


def input_id(name: str) -> str:
    """Id of a field's input (merged into the submit action's data by Teams)."""
    return f"{INPUT_PREFIX}{name}"


def inputs(form: Form) -> list[Card]:
    """The form's fields as Adaptive Card inputs, in order."""
    return [_input(one) for one in form.fields]


def submit_data(form: Form) -> dict[str, Any]:
    """The submit action's data: the command, its fixed text and the fields it expects."""
    return {
        "command": form.command,
        "text": form.fixed,
        "fields": {
            one.name: {
                "label": one.label,
                "kind": one.kind,
                "required": one.required,
                **({"choices": [c.value for c in one.choices]} if one.kind == "choice" else {}),
            }
            for one in form.fields
        },
    }


def _input(one: FormField) -> Card:
    element: Card = {"id": input_id(one.name), "label": one.label}
    if one.kind == "choice":
        element.update(
            type="Input.ChoiceSet",
            style="compact",
            placeholder=one.placeholder or CHOOSE,
            choices=[{"title": c.label, "value": c.value} for c in one.choices],
        )
    elif one.kind == "date":
        element["type"] = "Input.Date"
    else:
        element.update(type="Input.Text", isMultiline=True, maxLength=TEXT_MAX)
        if one.placeholder:
            element["placeholder"] = one.placeholder
    if one.required:
        element.update(isRequired=True, errorMessage=f"{one.label}: please fill this in.")
    return element


def is_submission(data: dict[str, Any]) -> bool:
    """Whether a ``run`` action's data is a submitted form (rather than a plain button)."""
    return "command" in data


def submitted(person: str, data: dict[str, Any]) -> CommandIssued | str:
    """The command a submitted form stands for, or what is wrong with the submission."""
    command = data.get("command")
    text = data.get("text", "")
    if not isinstance(command, str) or command.lstrip("/") not in COMMAND_NAMES:
        return UNKNOWN
    if not isinstance(text, str) or len(text) > FIXED_MAX:
        return OUT_OF_DATE
    fields = data.get("fields")
    if not isinstance(fields, dict) or len(fields) > MAX_FIELDS:
        return OUT_OF_DATE
    options: dict[str, str] = {}
    for name, spec in fields.items():
        if not isinstance(spec, dict):
            return OUT_OF_DATE
        value = _value(data.get(input_id(name)))
        problem = _problem(spec, value)
        if problem is not None:
            return problem
        if value:
            options[name] = value
    return CommandIssued(
        person=person, name=command.lstrip("/"), text=text.strip(), options=options
    )


def _value(raw: object) -> str | None:
    """A field's value as text; None when it is not text at all (a list, an object)."""
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return None
    return str(raw).strip()


def _problem(spec: dict[str, Any], value: str | None) -> str | None:
    label = str(spec.get("label") or "This field")[:100]
    if value is None:
        return f"“{label}” could not be read; type it again."
    if not value:
        return f"Fill in “{label}” first." if spec.get("required") is True else None
    if len(value) > TEXT_MAX:
        return f"Keep “{label}” under {TEXT_MAX} characters."
    kind = spec.get("kind")
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"“{label}” is a date written YYYY-MM-DD, for example 2026-12-18."
    if kind == "choice":
        choices = spec.get("choices")
        if not isinstance(choices, list) or value not in [str(c) for c in choices]:
            return f"Pick “{label}” from its list."
    return None


def sent_back(reply: Report, data: dict[str, Any]) -> Report:
    """What replaces a submitted form: the core's reply, and below it what the person sent
    (their own words, shown to them alone), so a refused submission loses nothing."""
    if reply.form is not None:
        return reply
    fields = data.get("fields")
    if not isinstance(fields, dict):
        return reply
    lines: list[str] = []
    for name, spec in fields.items():
        value = _value(data.get(input_id(name)))
        if value and isinstance(spec, dict):
            lines.append(f"{str(spec.get('label') or name)[:100]}: {value[:TEXT_MAX]}")
    if not lines:
        return reply
    return Report(
        title=reply.title,
        summary=reply.summary,
        sections=(*reply.sections, Section("What you sent", tuple(lines))),
        actions=reply.actions,
    )
