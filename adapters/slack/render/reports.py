"""Reports as Block Kit: a digest, overview, review or notice as a message, and the App Home tab."""

from __future__ import annotations

from typing import Any

from adapters.slack import actions
from adapters.slack.render.blocks import (
    MAX_ACTIONS_ELEMENTS,
    MAX_BUTTON_VALUE,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    Block,
    button,
    clip,
    context,
    fit,
    header,
    md,
    mrkdwn,
    sections_of,
)
from adapters.slack.render.prompts import snooze_actions
from bot.messages import Choice, Report
from surveys.references import described, name_references


def report_blocks(report: Report, limit: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    """A digest, overview, review or notice: header, summary, sections, action buttons."""
    blocks: list[Block] = [header(name_references(report.title, described))]
    if report.summary:
        blocks.extend(sections_of(md(report.summary)))
    for index, part in enumerate(report.sections):
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
        blocks.extend(action_blocks(part.actions, f"s{index}"))
    if report.image_png is not None and report.image_alt:
        blocks.append(context(f":bar_chart: {md(report.image_alt)}"))
    blocks.extend(action_blocks(report.actions))
    return fit(blocks, limit, "This report was shortened to fit in one Slack message.")


def action_blocks(choices: tuple[Choice, ...], name: str = "") -> list[Block]:
    """Buttons whose value is what clicking runs (``/command args``, ``snooze:<days>``), in
    actions blocks of at most 25. ``name`` tells the blocks of one section from another's, so
    every block_id and action_id in a message is its own: ``lp_report:s2:0`` and
    ``lp_report_s2_0`` for the first button of the third section, ``lp_report:0`` and
    ``lp_report_0`` for the report's own. A value longer than a button holds is left out
    rather than cut into a different command."""
    usable = [c for c in choices if len(c.value) <= MAX_BUTTON_VALUE]
    prefix = f"{name}:" if name else ""
    ids = f"{name}_" if name else ""
    blocks: list[Block] = []
    for start in range(0, len(usable), MAX_ACTIONS_ELEMENTS):
        chunk = usable[start : start + MAX_ACTIONS_ELEMENTS]
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{actions.REPORT}:{prefix}{start}",
                "elements": [
                    button(choice.label, f"{actions.REPORT}_{ids}{start + i}", choice.value)
                    for i, choice in enumerate(chunk)
                ],
            }
        )
    return blocks


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
        blocks.append(snooze_actions(None))
    return {"type": "home", "blocks": fit(blocks, MAX_VIEW_BLOCKS, "Shortened to fit.")}
