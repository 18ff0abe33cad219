"""Who may do what: admins from the program, leads for their own workstreams."""

from __future__ import annotations

from dataclasses import dataclass

from surveys.program import Program


@dataclass(frozen=True)
class Roles:
    """A person's standing in the loaded program."""

    person: str
    is_admin: bool
    leads: frozenset[str]  # ids of the workstreams this person leads

    def may_steer(self, workstream_id: str) -> bool:
        """Admins steer every workstream; a lead steers only their own."""
        return self.is_admin or workstream_id in self.leads

    @property
    def is_lead(self) -> bool:
        return bool(self.leads)


def roles_of(program: Program, person: str) -> Roles:
    return Roles(
        person=person,
        is_admin=person in program.admins,
        leads=frozenset(w.id for w in program.workstreams if w.lead == person),
    )
