"""Every command of PRODUCT.md in one table: name, usage, what it does, who may run it, and
its handler. Help and the Slack and Teams manifests' command lists are checked against it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.commands import actions, everyday, replies, reports
from bot.commands.context import NOT_ALLOWED, Command, CommandContext, Steering
from bot.messages import Report, notice
from surveys.roles import roles_of

COMMANDS: tuple[Command, ...] = (
    Command("learning-status", "/learning-status [workstream]",
            "Program overview, or one workstream", "lead", reports.status),
    Command("learning-survey", "/learning-survey <workstream> [question]",
            "Ask one question now (without one: what each would reach)", "lead",
            everyday.survey),
    Command("learning-digest", "/learning-digest <workstream> [preview]",
            "Post a workstream's digest now, or preview it privately", "lead", reports.digest),
    Command("learning-review", "/learning-review", "Post the program review report", "admin",
            reports.review),
    Command("learning-action", "/learning-action <workstream> <what we do> | done <n>",
            "Record an action on feedback and tell the people who gave it", "lead",
            actions.action),
    Command("learning-pause", "/learning-pause [days]", "Pause your prompts (default 7 days)",
            "anyone", everyday.pause),
    Command("learning-resume", "/learning-resume", "Turn your prompts back on", "anyone",
            everyday.resume),
    Command("learning-mydata", "/learning-mydata [export|erase|replies off|replies on]",
            "Your own data: export or erase it; refuse or allow replies to your comments",
            "anyone", reports.mydata),
    Command("learning-help", "/learning-help", "What this bot does and what it stores", "anyone",
            everyday.help_),
    Command("learning-reply", "/learning-reply <token>",
            "Reply anonymously on a comment (the Reply buttons)", "anyone", replies.reply,
            listed=False),
)  # fmt: skip
LISTED = tuple(command for command in COMMANDS if command.listed)  # help and the manifests
COMMAND_NAMES = tuple(command.name for command in COMMANDS)  # every name a platform may send
LISTED_NAMES = tuple(command.name for command in LISTED)
_BY_NAME = {command.name: command for command in COMMANDS}


async def run_command(
    core: Steering,
    person: str,
    name: str,
    text: str,
    channel: str | None,
    options: Mapping[str, str] | None = None,
) -> Report:
    """Parse, check the asker's role, run; unknown commands and refusals get a clear reply."""
    name = name.lstrip("/").strip().lower()
    spec = _BY_NAME.get(name)
    if spec is None:
        known = ", ".join(f"/{n}" for n in COMMAND_NAMES)
        return notice(f"Unknown command /{name}. Commands: {known}.")
    roles = roles_of(core.require_program(), person)
    if spec.who == "admin" and not roles.is_admin:
        return notice(NOT_ALLOWED)
    if spec.who == "lead" and not (roles.is_admin or roles.is_lead):
        return notice(NOT_ALLOWED)
    context = CommandContext(
        core=core, person=person, roles=roles, args=text.split(), commands=COMMANDS,
        channel=channel, options=dict(options or {}),
    )  # fmt: skip
    return await spec.handler(context)
