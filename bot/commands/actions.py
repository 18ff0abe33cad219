"""``/learning-action``: record what is being done about the feedback, move it along, and tell
the people who gave it ("you said, we did").

- ``/learning-action <workstream> <what we are doing> [--question <id>] [--due YYYY-MM-DD]``
  records a planned action and announces it;
- ``/learning-action <workstream>`` lists the workstream's actions, with buttons to move them
  and one to plan a new one (a form);
- ``/learning-action start <n>`` and ``/learning-action done <n>`` change its status; done is
  announced too.

Admins act on every workstream, a lead on their own; nobody else may.
"""

from __future__ import annotations

import asyncio
from datetime import date

from bot.commands.context import NOT_ALLOWED, CommandContext
from bot.messages import Choice, Form, FormField, Report, Section, notice
from storage.tables import ActionStatus
from surveys import actions, announcements, audience
from surveys.actions import ActionError

USAGE = (
    "Usage: /learning-action <workstream> <what we are doing> [--question <id>] "
    "[--due YYYY-MM-DD], /learning-action <workstream> to list, or /learning-action done <n>."
)
MOVES: dict[str, str | None] = {"start": ActionStatus.IN_PROGRESS, "done": ActionStatus.DONE}


async def action(context: CommandContext) -> Report:
    args = context.args
    if not args:
        return notice(USAGE)
    first = args[0].lower()
    if first in ("start", "done") and len(args) == 2:
        return await _move(context, args[1], MOVES[first])
    program = context.core.require_program()
    workstream = program.workstream(args[0])
    if workstream is None:
        yours = ", ".join(w.id for w in program.workstreams if context.roles.may_steer(w.id))
        return notice(f"No workstream {args[0]!r}. Yours: {yours or 'none'}. {USAGE}")
    if not context.roles.may_steer(workstream.id):
        return notice(NOT_ALLOWED)
    words, flags = _split_flags(args[1:])
    if words == ["plan"] and not context.options:
        form = plan_form(context, workstream.id)
        return Report(title=form.title, summary=f"For {workstream.name}.", form=form)
    flags.update({k: v for k, v in context.options.items() if v})
    # A submitted form says what in its own field; the words are then only the form's "plan".
    text = flags.pop("what", "" if context.options else " ".join(words)).strip()
    if not text and context.options:
        return notice("Say what we are doing: the action needs its text.")
    if not text:
        return await asyncio.to_thread(_listing, context, workstream.id)
    try:
        due = date.fromisoformat(flags["due"]) if flags.get("due") else None
    except ValueError:
        return notice("A due date is written YYYY-MM-DD, for example 2026-12-18.")
    role = "admin" if context.roles.is_admin else "lead"
    try:
        recorded = await asyncio.to_thread(
            actions.record, context.core, workstream.id, text, author_role=role,
            question_id=flags.get("question") or None, due_on=due,
        )  # fmt: skip
    except ActionError as exc:
        return notice(str(exc))
    await _audience_of(context, workstream.id)
    told = await announcements.announce(context.core, recorded, announcements.RECORDED)
    await context.core.send_due()
    return notice(f"Recorded action #{recorded.id} for {workstream.name}; {told}.")


async def _move(context: CommandContext, raw: str, status: str | None) -> Report:
    number = raw.lstrip("#")
    if not number.isdigit() or status is None:
        return notice(USAGE)
    found = await asyncio.to_thread(actions.find, context.core, int(number))
    if found is None or not context.roles.may_steer(found.workstream_id):
        return notice(f"No action #{number} of yours.")
    try:
        moved, changed = await asyncio.to_thread(actions.set_status, context.core, found.id, status)
    except ActionError as exc:
        return notice(str(exc))
    if not changed:
        return notice(f"Action #{moved.id} is already {moved.status}.")
    told = ""
    if status == ActionStatus.DONE:
        await _audience_of(context, moved.workstream_id)
        told = "; " + await announcements.announce(context.core, moved, announcements.DONE)
        await context.core.send_due()
    return notice(f"Action #{moved.id} is now {moved.status}{told}.")


async def _audience_of(context: CommandContext, workstream_id: str) -> None:
    """Who hears about it: the workstream's audience, resolved unless it is recent enough."""
    ttl = context.core.settings.learnpulse_audience_ttl
    await audience.refresh(context.core, [workstream_id], max_age=ttl)


def _listing(context: CommandContext, workstream_id: str) -> Report:
    listed = actions.listed(context.core, [workstream_id])
    lines = tuple(a.line() for a in listed) or ("No actions yet.",)
    buttons: list[Choice] = []
    for one in listed:
        if one.status == ActionStatus.PLANNED:
            buttons.append(Choice(f"/learning-action start {one.id}", f"Start #{one.id}"))
        if one.is_open:
            buttons.append(Choice(f"/learning-action done {one.id}", f"Done #{one.id}"))
    buttons.append(Choice(f"/learning-action {workstream_id} plan", "Plan an action"))
    return Report(
        title=f"Actions of {workstream_id}",
        sections=(Section("Actions", lines),),
        actions=tuple(buttons),
    )


def plan_form(context: CommandContext, workstream_id: str) -> Form:
    """The "Plan an action" form: what, which question (optional), due date (optional)."""
    workstream = context.core.require_program().workstream(workstream_id)
    questions = workstream.questions if workstream is not None else []
    return Form(
        title="Plan an action",
        submit="Record and announce",
        command="learning-action",
        fixed=workstream_id,
        fields=(
            FormField("what", "What we are doing", required=True,
                      placeholder="For example: weekly LMS office hours, Thursdays 14:00"),
            FormField("question", "About which question (optional)", kind="choice",
                      choices=tuple(Choice(q.id, q.ask) for q in questions)),
            FormField("due", "Due date (optional)", kind="date"),
        ),
    )  # fmt: skip


def _split_flags(words: list[str]) -> tuple[list[str], dict[str, str]]:
    """``--question q --due d`` taken out of the words; the rest is the action's text."""
    rest: list[str] = []
    flags: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and word[2:] in ("question", "due") and index + 1 < len(words):
            flags[word[2:]] = words[index + 1]
            index += 2
            continue
        rest.append(word)
        index += 1
    return rest, flags
