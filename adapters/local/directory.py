"""A synthetic company directory for the playground, derived deterministically from the program.

Slack and Teams expand an audience reference by asking the platform; the playground asks this
directory instead. Every channel, group or team reference of the program becomes 12 to 20 people
(the pilot members of the workstreams that reach it, then people from a shared pool), each with
a name and a time zone; the same program always yields the same directory.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.ports import LookupKind, Member
from surveys.program import Program
from surveys.references import RefKind, described, kind_of, platform_of

FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Farah", "Gabe", "Hana", "Ivan", "Jun", "Kofi", "Lena",
    "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen",
    "Yara", "Zoe", "Aiden", "Bea", "Carlos", "Dina", "Emil", "Femi", "Greta", "Hugo", "Iris",
    "Jonas", "Kira", "Luis", "Maya", "Noor", "Olga",
)  # fmt: skip
LAST_NAMES = (
    "Almeida", "Brooks", "Chen", "Diaz", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito",
    "Johansson", "Kowalski", "Lopez", "Mensah", "Novak", "Okafor", "Patel", "Quiroga", "Rossi",
    "Santos", "Tanaka", "Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zhang", "Adeyemi", "Bauer",
    "Costa", "Dubois", "Evans", "Fontaine", "Gupta", "Haddad", "Ibrahim", "Jensen", "Kim", "Lund",
    "Moreau", "Nakamura",
)  # fmt: skip
OTHER_ZONES = ("America/Chicago", "America/Los_Angeles", "Europe/London")
POOL_SIZE = 30
AUDIENCE_MIN, AUDIENCE_MAX = 12, 20
DEMO_NAMESPACE = uuid.UUID("6f1c8e2a-3b4d-4c5e-9f60-7a8b9c0d1e2f")
EMAIL_DOMAIN = "northwind.example"


@dataclass(frozen=True)
class DemoPerson:
    """Someone in the directory: reference, name, time zone and what they do in the demo."""

    ref: str
    name: str
    timezone: str
    title: str


def _number(text: str) -> int:
    """A stable number for a string (Python's ``hash`` changes between runs)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


class DemoDirectory:
    """People by reference, who each audience reference stands for, and the channels' names."""

    def __init__(
        self,
        people: Iterable[DemoPerson],
        audiences: dict[str, tuple[str, ...]],
        channels: dict[str, str] | None = None,
    ):
        self.people: dict[str, DemoPerson] = {p.ref: p for p in people}
        self.audiences = audiences
        self.channels = channels or {}

    @classmethod
    def from_program(cls, program: Program) -> DemoDirectory:
        """Build the directory every program reference needs, always the same for one program."""
        builder = _Builder(program)
        return builder.build()

    def person(self, ref: str) -> DemoPerson | None:
        return self.people.get(ref)

    def name_of(self, ref: str) -> str:
        person = self.people.get(ref)
        return person.name if person else ref

    def channel_name(self, ref: str) -> str:
        """The channel's name without its ``#`` (``lms-digest``), or the reference in words."""
        return self.channels.get(ref) or described(ref)

    def call(self, ref: str) -> str:
        """What the playground shows for a reference in a message: a person's name, a
        channel as ``#name``, anything else in words; never the id."""
        if ref in self.people:
            return self.people[ref].name
        if ref in self.channels:
            return f"#{self.channels[ref]}"
        return described(ref)

    def members(self, audience: str) -> list[Member]:
        """Expand a reference: a person is themself; a channel, group or team its people."""
        if audience in self.audiences:
            refs = self.audiences[audience]
        elif kind_of(audience) == RefKind.PERSON:
            refs = (audience,)
        else:
            refs = ()
        return [self._member(ref) for ref in refs]

    def email_of(self, ref: str) -> str | None:
        """``first.last@northwind.example`` (also the person's user principal name)."""
        person = self.people.get(ref)
        if person is None:
            return None
        return f"{person.name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"

    def find(self, by: LookupKind, values: Collection[str]) -> dict[str, Member]:
        """People by e-mail address or user principal name (the same here), or, for Teams
        references, by AAD object id; keyed by the value lower-cased."""
        wanted = {v.lower() for v in values}
        found: dict[str, Member] = {}
        for ref in self.people:
            if by == "aad_object_id":
                key = ref.removeprefix("teams:") if ref.startswith("teams:") else None
            else:
                key = self.email_of(ref)
            if key is not None and key.lower() in wanted:
                found[key.lower()] = self._member(ref)
        return found

    def _member(self, ref: str) -> Member:
        person = self.people.get(ref)
        if person is None:
            return Member(person=ref)
        return Member(person=ref, timezone=person.timezone, display_name=person.name)

    def employees(self) -> list[DemoPerson]:
        """Everyone an audience or a pilot group reaches, pilot members first, then by name."""
        reached = {ref for refs in self.audiences.values() for ref in refs}
        chosen = [
            p for p in self.people.values() if p.ref in reached or p.title.startswith("Pilot")
        ]
        return sorted(chosen, key=lambda p: (not p.title.startswith("Pilot"), p.name))


class _Builder:
    """Names people in a fixed order so that the directory never depends on dict ordering."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.people: dict[str, DemoPerson] = {}
        self.used_names: set[str] = set()
        self.counter = 0

    def build(self) -> DemoDirectory:
        program = self.program
        for admin in program.admins:
            self._add(admin, "Program admin", program.timezone)
        for workstream in program.workstreams:
            self._add(workstream.lead, f"Lead, {workstream.name}", program.timezone)
        for workstream in program.workstreams:
            for index, ref in enumerate(workstream.pilot):
                zone = OTHER_ZONES[0] if index % 4 == 3 else program.timezone
                self._add(ref, f"Pilot member, {workstream.name}", zone)
        pools = {platform: self._pool(platform) for platform in ("slack", "teams", "local")}
        audiences: dict[str, tuple[str, ...]] = {}
        for ref in self._audience_refs():
            pilots = [
                p
                for w in program.workstreams
                if ref in w.audience
                for p in w.pilot
                if platform_of(p) == platform_of(ref)
            ]
            pool = pools.get(platform_of(ref), pools["local"])
            size = AUDIENCE_MIN + _number(ref) % (AUDIENCE_MAX - AUDIENCE_MIN + 1)
            if sum(ref in w.audience for w in program.workstreams) > 1:
                # A channel several workstreams ask (an all-hands) holds everyone on its
                # platform, so an organization-wide workstream can show results by segment.
                size = len(pilots) + len(pool)
            start = _number("start:" + ref) % len(pool)
            members = list(dict.fromkeys(pilots))
            for offset in range(len(pool)):
                if len(members) >= size:
                    break
                candidate = pool[(start + offset) % len(pool)]
                if candidate not in members:
                    members.append(candidate)
            audiences[ref] = tuple(members)
        return DemoDirectory(self.people.values(), audiences, self._channels())

    def _channels(self) -> dict[str, str]:
        """The channels the playground shows: each workstream's digest channel and the review's
        (one name per channel: the first workstream posting there names it)."""
        names: dict[str, str] = {}
        for workstream in self.program.workstreams:
            if kind_of(workstream.digest_to) == RefKind.CHANNEL:
                names.setdefault(workstream.digest_to, f"{workstream.id}-digest")
        review = self.program.review
        if review is not None and kind_of(review.to) == RefKind.CHANNEL:
            names.setdefault(review.to, "program-review")
        return names

    def _audience_refs(self) -> list[str]:
        refs: list[str] = []
        for workstream in self.program.workstreams:
            refs.extend(r for r in workstream.audience if kind_of(r) != RefKind.PERSON)
            if kind_of(workstream.digest_to) == RefKind.CHANNEL:
                refs.append(workstream.digest_to)
        if self.program.review and kind_of(self.program.review.to) == RefKind.CHANNEL:
            refs.append(self.program.review.to)
        return list(dict.fromkeys(refs))

    def _pool(self, platform: str) -> list[str]:
        refs: list[str] = []
        for n in range(1, POOL_SIZE + 1):
            if platform == "slack":
                ref = f"slack:U0DEMO{n:04d}"
            elif platform == "teams":
                ref = f"teams:{uuid.uuid5(DEMO_NAMESPACE, f'teams-{n}')}"
            else:
                ref = f"local:person-{n:02d}"
            zone = OTHER_ZONES[n % len(OTHER_ZONES)] if n % 5 == 0 else self.program.timezone
            self._add(ref, "Employee", zone)
            refs.append(ref)
        return refs

    def _add(self, ref: str, title: str, timezone: str) -> None:
        if ref in self.people:
            return
        self.people[ref] = DemoPerson(
            ref=ref, name=self._next_name(), timezone=timezone, title=title
        )

    def _next_name(self) -> str:
        while True:
            n = self.counter
            self.counter += 1
            first = FIRST_NAMES[n % len(FIRST_NAMES)]
            last = LAST_NAMES[(n * 7 + n // len(FIRST_NAMES)) % len(LAST_NAMES)]
            name = f"{first} {last}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
