"""What a digest is made of, between counting and rendering: what the database said about one
workstream (``Counted``) and the built digest (``Digest``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.messages import Report, Section
from surveys import measures
from surveys.actions import ActionView
from surveys.chart import Chart
from surveys.comments import Quote
from surveys.periods import Period
from surveys.program import Question, Workstream
from surveys.segment_report import Breakdown
from surveys.tally_model import PeriodTally
from surveys.theme_tallies import ThemeTallies


@dataclass(frozen=True)
class Digest:
    """A built digest: where it goes, what it shows, and the aggregates it revealed (its
    chart's points among them: ``chart.series``, None where a point was withheld)."""

    workstream_id: str
    period: Period
    destination: str
    report: Report
    summary: dict[str, Any] = field(default_factory=dict)
    chart: Chart | None = None


@dataclass
class Counted:
    """What the database said about one workstream, before anything is decided."""

    workstream: Workstream
    tallies: list[PeriodTally]
    quotes: list[Quote]
    audience: tuple[int, int]
    texts: dict[str, list[str]]
    partial: bool  # the period is still in progress
    actions: list[ActionView] = field(default_factory=list)  # open, or done lately
    reply_tokens: dict[int, str] = field(default_factory=dict)  # quoted answer -> Reply token
    replies: bool = False  # confidential mode: quoted comments can be answered
    breakdowns: list[Breakdown] = field(default_factory=list)  # key measures by segment
    segment_note: bool = False  # segments asked for, but the program is anonymous
    themes: ThemeTallies | None = None  # the comments' themes of this period and the one before
    theme_section: Section | None = None  # the themes that may be shown, once decided

    @property
    def now(self) -> PeriodTally:
        return self.tallies[-1]

    @property
    def before(self) -> PeriodTally:
        return self.tallies[-2] if len(self.tallies) > 1 else PeriodTally(self.now.period)


def charted(workstream: Workstream) -> list[Question]:
    """The key measures drawn on the chart: those with a scale."""
    return [q for q in workstream.key_measures if q.kind in measures.SCALES]
