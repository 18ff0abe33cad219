"""The playground's state: who can be played, private replies waiting to be shown, the clock.

Private replies (what Slack shows as "only visible to you") are kept in memory, one-shot, keyed
by a random token that travels in the redirect after a form post; they are never stored.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adapters.local.adapter import LocalAdapter
from adapters.local.directory import DemoDirectory, DemoPerson
from bot.clock import ManualClock
from bot.messages import Report
from surveys.roles import Roles, roles_of

if TYPE_CHECKING:
    from bot.app import LearnPulse

MAX_PENDING_REPLIES = 200


@dataclass(frozen=True)
class Identity:
    """Someone to pick in the page, with a short note on who they are."""

    ref: str
    name: str
    note: str


@dataclass(frozen=True)
class IdentityGroup:
    title: str
    people: tuple[Identity, ...]


class Playground:
    """Everything the pages share: the core, the local adapter, its directory and the clock."""

    def __init__(
        self,
        core: LearnPulse,
        adapter: LocalAdapter,
        clock: ManualClock | None,
        seeded_weeks: int = 0,
    ) -> None:
        self.core = core
        self.adapter = adapter
        self.clock = clock
        self.seeded_weeks = seeded_weeks
        self.played: set[str] = set()  # people someone picked: simulated colleagues leave them be
        self.last_advance: str | None = None
        self.advancing = asyncio.Lock()  # one move of the clock at a time
        self._replies: OrderedDict[str, tuple[str, Report]] = OrderedDict()

    @property
    def directory(self) -> DemoDirectory:
        return self.adapter.directory

    def identity(self, ref: str | None) -> DemoPerson | None:
        """The person behind ``ref`` if the directory knows them; anyone else is refused."""
        return self.directory.person(ref) if ref else None

    def roles(self, ref: str) -> Roles:
        return roles_of(self.core.require_program(), ref)

    def groups(self) -> list[IdentityGroup]:
        """Admins, then one lead per workstream, then employees (pilot members first)."""
        program = self.core.require_program()
        name = self.directory.name_of
        admins = tuple(Identity(ref, name(ref), "Program admin") for ref in program.admins)
        led: dict[str, list[str]] = {}
        for workstream in program.workstreams:
            if workstream.lead not in program.admins:
                led.setdefault(workstream.lead, []).append(workstream.id)
        leads = tuple(
            Identity(ref, name(ref), "Lead · " + ", ".join(ids)) for ref, ids in led.items()
        )
        employees = tuple(
            Identity(p.ref, p.name, _employee_note(p)) for p in self.directory.employees()
        )
        return [
            IdentityGroup("Program admins", admins),
            IdentityGroup("Workstream leads", leads),
            IdentityGroup("Employees", employees),
        ]

    def keep_reply(self, person: str, report: Report) -> str:
        """Hold a private reply until the asker's next page load; returns its token."""
        token = secrets.token_urlsafe(12)
        self._replies[token] = (person, report)
        while len(self._replies) > MAX_PENDING_REPLIES:
            self._replies.popitem(last=False)
        return token

    def take_reply(self, person: str, token: str | None) -> Report | None:
        """The reply for ``token`` if it belongs to ``person``; shown once."""
        if not token or token not in self._replies:
            return None
        owner, report = self._replies[token]
        if owner != person:
            return None
        del self._replies[token]
        return report


def _employee_note(person: DemoPerson) -> str:
    role = "pilot" if person.title.startswith("Pilot") else "employee"
    city = person.timezone.split("/")[-1].replace("_", " ")
    return f"{role} · {city}"
