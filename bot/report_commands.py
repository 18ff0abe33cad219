"""Commands that report on the program: status, digest, review, personal data."""

from __future__ import annotations

from bot.commands import CommandContext, command
from bot.messages import Report, notice


@command(
    "learning-status",
    "/learning-status [workstream]",
    "Program overview, or one workstream",
    "lead",
)
async def status(context: CommandContext) -> Report:
    return notice("/learning-status is not available in this build yet.")


@command(
    "learning-digest", "/learning-digest <workstream>", "Post a workstream's digest now", "lead"
)
async def digest(context: CommandContext) -> Report:
    return notice("/learning-digest is not available in this build yet.")


@command("learning-review", "/learning-review", "Post the program review report", "admin")
async def review(context: CommandContext) -> Report:
    return notice("/learning-review is not available in this build yet.")


@command(
    "learning-mydata",
    "/learning-mydata [export|erase]",
    "Your own answers: export or erase",
    "anyone",
)
async def mydata(context: CommandContext) -> Report:
    return notice("/learning-mydata is not available in this build yet.")
