"""The everyday commands: help, pause, resume, and asking a question now."""

from __future__ import annotations

import asyncio

from bot.commands.context import NOT_ALLOWED, CommandContext
from bot.messages import Report, Section, notice
from surveys import adhoc, audience, people
from surveys.occurrences import find_asking, open_asking

DEFAULT_PAUSE_DAYS = 7


async def help_(context: CommandContext) -> Report:
    program = context.core.require_program()
    anonymity = program.anonymity
    listed = [c for c in context.commands if c.listed]
    mine = [f"{c.usage} — {c.summary}" for c in listed if c.who == "anyone"]
    steer = [f"{c.usage} — {c.summary}" for c in listed if c.who != "anyone"]
    stored = (
        "Answers are stored with a pseudonymous key, never with your name."
        if anonymity.mode == "confidential"
        else "Answers are stored with no link to you at all."
    )
    sections = [
        Section(
            "What I do",
            (
                f"I run {program.program}: short questions on working days in your own time zone, "
                f"at most {program.max_prompts_per_week} a week, and digests for workstream leads.",
            ),
        ),
        Section(
            "What is stored and who sees it",
            (
                stored,
                f"Leads see totals only for groups of at least {anonymity.min_responses} people, "
                f"comments only when at least {anonymity.min_comments} people commented, "
                "never with names.",
                "Comments and written answers are encrypted at rest. "
                "You can export or erase your data any time.",
            ),
        ),
        Section("Your commands", tuple(mine)),
    ]
    if context.roles.is_admin or context.roles.is_lead:
        sections.append(Section("For leads and admins", tuple(steer)))
    return Report(title="LearnPulse help", sections=tuple(sections))


async def pause(context: CommandContext) -> Report:
    raw = context.args[0] if context.args else str(DEFAULT_PAUSE_DAYS)
    if not raw.isdigit() or int(raw) < 1:
        return notice("Usage: /learning-pause [days], with days a whole number from 1 to 90.")
    text = await asyncio.to_thread(people.snooze, context.core, context.person, int(raw))
    return notice(text)


async def resume(context: CommandContext) -> Report:
    return notice(await asyncio.to_thread(people.snooze, context.core, context.person, 0))


async def survey(context: CommandContext) -> Report:
    if not context.args:
        return notice("Usage: /learning-survey <workstream> [question]")
    workstream_id = context.args[0]
    program = context.core.require_program()
    workstream = program.workstream(workstream_id)
    if workstream is None:
        known = ", ".join(w.id for w in program.workstreams if context.roles.may_steer(w.id))
        return notice(f"No workstream {workstream_id!r}. Yours: {known or 'none'}.")
    if not context.roles.may_steer(workstream_id):
        return notice(NOT_ALLOWED)
    if len(context.args) < 2:
        previews = await adhoc.preview(context.core, workstream_id)
        return adhoc.picker(context.core, workstream_id, previews)
    asking = find_asking(program, workstream_id, context.args[1])
    if asking is None:
        ids = ", ".join(q.id for q in workstream.questions)
        return notice(f"No question {context.args[1]!r} in {workstream_id}. Questions: {ids}.")
    core = context.core
    still = await asyncio.to_thread(adhoc.still_open, core, asking)
    if still is not None:
        closes = still.closes.astimezone(program.zone).strftime("%a %d %b %H:%M")
        return notice(
            f"{asking.question_id or asking.bank} was already asked now and then on "
            f"{still.asked_at.astimezone(program.zone):%a %d %b %H:%M}; it is open until "
            f"{closes} ({still.answered} of {still.asked} answered so far). Nothing new was sent."
        )
    banks = asking.bank is not None  # a bank asks the union of every workstream's audience
    await audience.refresh(
        core,
        None if banks else [asking.workstream_id],
        max_age=core.settings.learnpulse_audience_ttl,
    )
    occurrence_id, planned, already = await open_asking(core, asking, context.person)
    await core.send_due()
    outcomes = await asyncio.to_thread(adhoc.outcomes_of, core, occurrence_id)
    asked = adhoc.Asked(occurrence_id, planned, already, outcomes)
    return notice(adhoc.describe(asked, workstream.name))
