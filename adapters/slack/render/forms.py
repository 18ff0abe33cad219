"""A core ``Form`` as a Slack modal, and the same form in words for when no modal can open.

The modal shows what the reply that asked for the form says (its summary and sections, for
example the comment being replied to), then one input block per field: free text as a
multiline ``plain_text_input``, a choice as a ``static_select``, a date as a ``datepicker``.
Fields the form does not require are ``optional``; Slack then lets them be left empty.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from adapters.slack import actions
from adapters.slack.render.blocks import (
    MAX_MODAL_TITLE,
    MAX_OPTIONS,
    MAX_VIEW_BLOCKS,
    Block,
    fit,
    md,
    option,
    plain,
    sections_of,
)
from bot.messages import Form, FormField, Report

MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_INPUT = 3000  # Slack's largest plain_text_input
CHOOSE = "Choose…"
PICK_A_DATE = "Pick a date"


def form_modal(report: Report, form: Form, metadata: str) -> dict[str, Any]:
    """The modal of ``form``; ``metadata`` (``actions.FormContext.dumps``) says what its
    submission runs."""
    inputs = [field_input(field) for field in form.fields]
    shown = fit(_what_it_is_about(report), MAX_VIEW_BLOCKS - len(inputs), "Shortened to fit.")
    return {
        "type": "modal",
        "callback_id": actions.FORM_MODAL,
        "private_metadata": metadata,
        "title": plain(form.title, MAX_MODAL_TITLE),
        "submit": plain(form.submit or "Send", MAX_MODAL_TITLE),
        "close": plain("Cancel", MAX_MODAL_TITLE),
        "blocks": [*shown, *inputs][:MAX_VIEW_BLOCKS],
    }


def _what_it_is_about(report: Report) -> list[Block]:
    blocks: list[Block] = []
    if report.summary:
        blocks.extend(sections_of(md(report.summary)))
    for part in report.sections:
        heading = f"*{md(part.heading)}*" if part.heading else ""
        text = "\n".join([heading, *(md(line) for line in part.lines)]).strip()
        if text:
            blocks.extend(sections_of(text))
    return blocks


def field_input(field: FormField) -> Block:
    """One input block, named after the field so the submission says which value is which."""
    block: Block = {
        "type": "input",
        "block_id": actions.form_field_block_id(field.name),
        "label": plain(_label(field), MAX_LABEL),
        "optional": not field.required,
        "element": _element(field),
    }
    return block


def _label(field: FormField) -> str:
    """The field's label; Slack itself marks an optional input "(optional)", so a label that
    already says so would say it twice."""
    if field.required:
        return field.label
    return field.label.removesuffix("(optional)").rstrip() or field.label


def _element(field: FormField) -> Block:
    element: Block
    if field.kind == "choice" and field.choices:
        element = {
            "type": "static_select",
            "action_id": actions.FORM_VALUE,
            "options": [option(c.value, c.label) for c in field.choices[:MAX_OPTIONS]],
        }
    elif field.kind == "date":
        element = {"type": "datepicker", "action_id": actions.FORM_VALUE}
    else:  # free text, or a choice with nothing to choose from
        element = {
            "type": "plain_text_input",
            "action_id": actions.FORM_VALUE,
            "multiline": field.kind == "text",
            "max_length": MAX_INPUT,
        }
    default = {"choice": CHOOSE, "date": PICK_A_DATE}.get(field.kind, "")
    if field.placeholder or default:
        element["placeholder"] = plain(field.placeholder or default, MAX_PLACEHOLDER)
    return element


def form_in_words(report: Report) -> Report:
    """The reply without its form, saying how to give the same input by typing the command:
    for when the modal could not be opened (Slack allows only a few seconds to open one)."""
    form = report.form
    if form is None:
        return report
    usage = f"The form could not be opened. Type it instead: {command_in_words(form)}"
    summary = f"{report.summary}\n{usage}" if report.summary else usage
    return replace(report, summary=summary, form=None)


def command_in_words(form: Form) -> str:
    """``/learning-action respect <What we are doing> [--due YYYY-MM-DD]``: the first required
    text field is written as words, the others as ``--name value``, optional ones bracketed."""
    words = [f"/{form.command}", *([form.fixed] if form.fixed else [])]
    positional = next((f for f in form.fields if f.kind == "text" and f.required), None)
    if positional is not None:
        words.append(f"<{positional.label}>")
    for field in form.fields:
        if field is positional:
            continue
        value = "YYYY-MM-DD" if field.kind == "date" else f"<{field.name}>"
        flag = f"--{field.name} {value}"
        words.append(flag if field.required else f"[{flag}]")
    return " ".join(words)
