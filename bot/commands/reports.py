"""The commands that report: status, digest, review, and a person's own data.

Every reply goes only to the asker. A lead sees and posts only their own workstreams; a refusal
or an unknown workstream never reveals anything about other workstreams' data.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.commands.context import NOT_ALLOWED, CommandContext
from bot.messages import Report, notice
from bot.reporting import post_digest, post_review, preview_digest, send_own_data, send_review_file
from surveys.mydata import describe, erase, set_replies
from surveys.status import status_report


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


async def status(context: CommandContext) -> Report:
    workstream, refusal = _workstream_arg(context)
    if refusal is not None:
        return refusal
    return await asyncio.to_thread(status_report, context.core, context.roles, workstream)


async def digest(context: CommandContext) -> Report:
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


async def review(context: CommandContext) -> Report:
    posted = await post_review(context.core)
    sent = await send_review_file(context.core, context.person)
    where = (
        f"Posted the review report to {posted.destination}"
        if posted.posted
        else (f"The review report was not posted ({posted.reason})")
    )
    extra = "; the HTML version is in your messages." if sent else "."
    return notice(where + extra)


async def mydata(context: CommandContext) -> Report:
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
    if action == "replies" and context.args[1:2] in (["on"], ["off"]):
        on = context.args[1] == "on"
        return notice(await asyncio.to_thread(set_replies, context.core, context.person, on))
    return await asyncio.to_thread(describe, context.core, context.person)
