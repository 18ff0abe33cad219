"""What a command handler is given: the app (as the protocol it needs), the asker, their
roles, the arguments, and the command table itself (for help)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.messages import Report
from bot.settings import Settings
from surveys.context import Reaching
from surveys.roles import Roles
from surveys.sender import SendReport

Audience = Literal["admin", "lead", "anyone"]

NOT_ALLOWED = (
    "Sorry, you are not allowed to do that. Admins and workstream leads can; see /learning-help."
)


class Steering(Reaching, Protocol):
    """What commands use of the app: everything a use case may be given, the operator's
    settings, and sending now."""

    @property
    def settings(self) -> Settings: ...

    async def send_due(self) -> SendReport:
        """Send every prompt that is due now (after an ad-hoc asking)."""
        ...


@dataclass(frozen=True)
class Command:
    """One command: its name (without the slash), usage, what it does, who may run it."""

    name: str
    usage: str
    summary: str
    who: Audience
    handler: Callable[[CommandContext], Awaitable[Report]]
    listed: bool = True  # False: reached by buttons only, not in help or the manifests


@dataclass(frozen=True)
class CommandContext:
    """Everything a command handler needs."""

    core: Steering
    person: str
    roles: Roles
    args: list[str]
    commands: Sequence[Command]
    channel: str | None = None
    options: dict[str, str] = field(default_factory=dict)  # a submitted form's values
