"""The program: what ``program.yaml`` says, as typed, frozen models.

A ``Program`` is only ever built by ``surveys.program_file`` from a file it has checked whole,
so the rest of LearnPulse takes every value here as valid (a weekday is a weekday, a time of day
is ``HH:MM``, every reference is well formed).
"""

from __future__ import annotations

from datetime import date, time
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = ("scale", "enps", "choice", "yes_no", "text")
CADENCES = ("daily", "weekly", "monthly")

Cadence = Literal["daily", "weekly", "monthly"]
Kind = Literal["scale", "enps", "choice", "yes_no", "text"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Strict):
    """When something recurs: cadence, ``on`` (weekday or day of month) and local ``at``."""

    cadence: Cadence
    on: str | int | None = None
    at: str = "10:00"

    @property
    def at_time(self) -> time:
        return parse_hhmm(self.at)

    @property
    def weekday(self) -> int | None:
        """0 = Monday, for weekly schedules."""
        if self.cadence != "weekly":
            return None
        return WEEKDAYS.index(str(self.on or "mon"))

    @property
    def day_of_month(self) -> int | None:
        if self.cadence != "monthly":
            return None
        return int(self.on or 1)


class Question(_Strict):
    id: str
    ask: str
    kind: Kind
    cadence: Cadence
    on: str | int | None = None
    at: str = "10:00"
    key_measure: bool = False
    target: float | None = None
    comment: Literal["none", "optional"] = "none"
    options: list[str] | None = None

    @property
    def schedule(self) -> Schedule:
        return Schedule(cadence=self.cadence, on=self.on, at=self.at)


class Workstream(_Strict):
    id: str
    name: str
    lead: str
    digest_to: str
    digest: Schedule = Schedule(cadence="weekly", on="fri", at="16:00")
    phase: Literal["pilot", "organization"] = "pilot"
    pilot: list[str] = Field(default_factory=list)
    audience: list[str]
    questions: list[Question]
    description: str | None = None
    # where "you said, we did" is announced: a channel, once; without it, each person by DM
    announce_to: str | None = None
    # attributes the digest and the review break the key measures down by (department, tenure)
    segments: list[str] = Field(default_factory=list)

    @property
    def key_measures(self) -> list[Question]:
        return [q for q in self.questions if q.key_measure]


class Anonymity(_Strict):
    min_responses: int = 5
    min_comments: int = 5
    mode: Literal["confidential", "anonymous"] = "confidential"


class ThemeRules(_Strict):
    """``themes:``: how comment themes are named (``surveys.themes``)."""

    synonyms: dict[str, str] = Field(default_factory=dict)  # phrase -> the theme it counts as
    ignore: list[str] = Field(default_factory=list)  # phrases that are never a theme


class Review(_Strict):
    every_months: int = 6
    to: str
    at: str = "10:00"


class Program(_Strict):
    program: str
    timezone: str = "UTC"
    working_days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    working_hours: tuple[str, str] = ("09:00", "17:00")
    holidays: list[str] = Field(default_factory=list)
    max_prompts_per_week: int = 5
    anonymity: Anonymity = Anonymity()
    admins: list[str] = Field(default_factory=list)
    self_assessment: Schedule | None = None
    outcomes: Schedule | None = None
    review: Review | None = None
    people: str | None = None  # the people file, as resolved against the program file's folder
    themes: ThemeRules = ThemeRules()
    workstreams: list[Workstream]

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def working_weekdays(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(d) for d in self.working_days)

    @cached_property
    def day_start(self) -> time:
        return parse_hhmm(self.working_hours[0])

    @cached_property
    def day_end(self) -> time:
        return parse_hhmm(self.working_hours[1])

    @cached_property
    def holiday_dates(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(d) for d in self.holidays)

    def workstream(self, workstream_id: str) -> Workstream | None:
        return next((w for w in self.workstreams if w.id == workstream_id), None)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
