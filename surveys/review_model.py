"""What the review shows, before it is rendered: points, averages, measures, flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from surveys import measures
from surveys.actions import ActionView
from surveys.chart import Chart
from surveys.periods import Period
from surveys.segment_heatmap import Heatmap
from surveys.theme_section import ThemeLine

AMBER_SHARE = 0.10  # within a tenth of the scale's range below target: amber, not red


@dataclass(frozen=True)
class Point:
    """One figure of one period; ``value`` None where it was withheld."""

    period: Period
    value: float | None
    people: int


@dataclass(frozen=True)
class Average:
    """A mean over the shown points of a span, weighted by the people behind each."""

    value: float
    people: int
    periods: int

    @classmethod
    def of(cls, points: Sequence[Point]) -> Average | None:
        shown = [p for p in points if p.value is not None and p.people]
        people = sum(p.people for p in shown)
        if not people:
            return None
        total = sum((p.value or 0.0) * p.people for p in shown)
        return cls(total / people, people, len(shown))


@dataclass(frozen=True)
class Flag:
    severity: float  # 0..1, larger first
    text: str


@dataclass
class MeasureView:
    """A key measure (or a bank area) over the span and the span before."""

    name: str
    kind: str
    target: float | None
    points: list[Point]  # the span's periods, oldest first
    earlier: list[Point]  # the span before
    question_id: str | None = None  # a bank area has none

    @property
    def latest(self) -> Point | None:
        shown = [p for p in self.points if p.value is not None]
        return shown[-1] if shown else None

    @property
    def span(self) -> Average | None:
        return Average.of(self.points)

    @property
    def before(self) -> Average | None:
        return Average.of(self.earlier)

    @property
    def rating(self) -> str:
        """red / amber / green against the target, from the latest shown period; grey without
        a figure or a target."""
        latest = self.latest
        if latest is None or latest.value is None or self.target is None:
            return "grey"
        if measures.target_met(latest.value, self.target):
            return "green"
        scale = measures.SCALES.get(self.kind)
        width = (scale.high - scale.low) if scale else 1.0
        return "amber" if self.target - latest.value <= AMBER_SHARE * width else "red"


@dataclass
class ActionReview:
    """An action of the review's span, with its key measure before it and since."""

    action: ActionView
    measure: str | None  # the key measure it is compared on
    kind: str
    before: Point | None
    since: Point | None


@dataclass
class WorkstreamReview:
    id: str
    name: str
    phase: str
    measures: list[MeasureView]
    participation: list[Point]
    participation_before: list[Point]
    sentiment: list[Point]
    sentiment_before: list[Point]
    flags: list[Flag] = field(default_factory=list)
    chart: Chart | None = None
    actions: list[ActionReview] = field(default_factory=list)
    heatmap: Heatmap | None = None  # key measures by segment, latest finished period
    themes: list[ThemeLine] = field(default_factory=list)  # the span's comment themes shown


@dataclass
class AreaIndex:
    area: str
    trend: MeasureView


@dataclass
class Review:
    """Everything the review shows, before rendering."""

    program: str
    period: Period
    before: Period
    workstreams: list[WorkstreamReview]
    self_assessment: list[AreaIndex]
    outcomes: list[AreaIndex]
    self_assessment_chart: bytes | None = None
    outcomes_chart: bytes | None = None

    @property
    def flags(self) -> list[str]:
        return [f"{w.name}: {flag.text}" for w in self.workstreams for flag in w.flags]
