"""Commands that report on the program: status, digest, review, personal data.

Every reply goes only to the asker. A lead sees and posts only their own workstreams; a refusal
or an unknown workstream never reveals anything about other workstreams' data.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.commands import NOT_ALLOWED, CommandContext, command
from bot.messages import Report, notice


def _workstream_arg(context: CommandContext) -> tuple[str | None, Report | None]:
    """The workstream named in the arguments, if the asker may see it; else a reply."""
    if not context.args:
        return None, None
    wanted = context.args[0]
    program = context.core.require_program()
    if program.workstream(wanted) is None or not context.roles.may_steer(wanted):
        yours = [w.id for w in program.workstreams if context.roles.may_steer(w.id)]
        if program.workstream(wanted) is not None:
            return None, notice(NOT_ALLOWED)
        return None, notice(f"No workstream {wanted!r}. Yours: {', '.join(yours) or 'none'}.")
    return wanted, None


@command(
    "learning-status",
    "/learning-status [workstream]",
    "Program overview, or one workstream",
    "lead",
)
async def status(context: CommandContext) -> Report:
    from surveys.status import status_report

    workstream, refusal = _workstream_arg(context)
    if refusal is not None:
        return refusal
    return await asyncio.to_thread(status_report, context.core, context.roles, workstream)


@command(
    "learning-digest",
    "/learning-digest <workstream> [preview]",
    "Post a workstream's digest now, or preview it privately",
    "lead",
)
async def digest(context: CommandContext) -> Report:
    from bot.reporting import post_digest, preview_digest

    workstream, refusal = _workstream_arg(context)
    if refusal is not None:
        return refusal
    if workstream is None:
        program = context.core.require_program()
        yours = [w.id for w in program.workstreams if context.roles.may_steer(w.id)]
        return notice(f"Which workstream? /learning-digest <workstream> ({', '.join(yours)}).")
    if context.args[1:2] == ["preview"]:
        return await preview_digest(context.core, workstream)
    posted = await post_digest(context.core, workstream)
    if posted.posted:
        return notice(f"Posted the {workstream} digest to {posted.destination}.")
    return notice(f"The {workstream} digest was not posted: {posted.reason}.")


@command("learning-review", "/learning-review", "Post the program review report", "admin")
async def review(context: CommandContext) -> Report:
    from bot.reporting import post_review, send_review_file

    posted = await post_review(context.core)
    sent = await send_review_file(context.core, context.person)
    where = (
        f"Posted the review report to {posted.destination}"
        if posted.posted
        else (f"The review report was not posted ({posted.reason})")
    )
    extra = "; the HTML version is in your messages." if sent else "."
    return notice(where + extra)


@command(
    "learning-mydata",
    "/learning-mydata [export|erase]",
    "Your own answers: export or erase",
    "anyone",
)
async def mydata(context: CommandContext) -> Report:
    from bot.reporting import send_own_data
    from surveys.mydata import describe, erase

    action = context.args[0].lower() if context.args else ""
    if action == "export":
        return notice(await send_own_data(context.core, context.person))
    if action == "erase":
        if context.args[1:2] != ["confirm"]:
            return notice(
                "This erases every answer, comment and record LearnPulse holds about you, "
                "and cannot be undone. To go ahead: /learning-mydata erase confirm"
            )
        done = await asyncio.to_thread(erase, context.core, context.person)
        return replace(notice(done), leaves_no_trace=True)
    return await asyncio.to_thread(describe, context.core, context.person)
