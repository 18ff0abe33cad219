"""The admin and employee commands of PRODUCT.md: names, who may run them, and their handlers.

Every reply goes only to the person who asked. A refusal never says anything about the data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.messages import Report, notice
from bot.roles import Roles, roles_of

if TYPE_CHECKING:
    from bot.app import LearnPulse

Audience = Literal["admin", "lead", "anyone"]


@dataclass(frozen=True)
class CommandContext:
    """Everything a command handler needs: the app, the asker, their roles and the arguments."""

    core: LearnPulse
    person: str
    roles: Roles
    args: list[str]
    channel: str | None = None


CommandHandler = Callable[[CommandContext], Awaitable[Report]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    who: Audience
    handler: CommandHandler


NOT_ALLOWED = (
    "Sorry, you are not allowed to do that. Admins and workstream leads can; see /learning-help."
)

_REGISTRY: dict[str, Command] = {}


def command(
    name: str, usage: str, summary: str, who: Audience
) -> Callable[[CommandHandler], CommandHandler]:
    """Register a handler under a command name (without the slash)."""

    def register(handler: CommandHandler) -> CommandHandler:
        _REGISTRY[name] = Command(name, usage, summary, who, handler)
        return handler

    return register


def registry() -> dict[str, Command]:
    """All commands, after every module that registers some has been imported."""
    import bot.command_handlers  # noqa: F401  (registers the handlers)

    return dict(_REGISTRY)


COMMAND_NAMES = (
    "learning-status",
    "learning-survey",
    "learning-digest",
    "learning-review",
    "learning-pause",
    "learning-resume",
    "learning-mydata",
    "learning-help",
)


async def run_command(
    core: LearnPulse, person: str, name: str, text: str, channel: str | None
) -> Report:
    """Parse, check the asker's role, run; unknown commands and refusals get a clear reply."""
    name = name.lstrip("/").strip().lower()
    commands = registry()
    spec = commands.get(name)
    if spec is None:
        known = ", ".join(f"/{n}" for n in COMMAND_NAMES)
        return notice(f"Unknown command /{name}. Commands: {known}.")
    roles = roles_of(core.require_program(), person)
    if spec.who == "admin" and not roles.is_admin:
        return notice(NOT_ALLOWED)
    if spec.who == "lead" and not (roles.is_admin or roles.is_lead):
        return notice(NOT_ALLOWED)
    context = CommandContext(
        core=core, person=person, roles=roles, args=text.split(), channel=channel
    )
    return await spec.handler(context)
