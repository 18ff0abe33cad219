"""Where the playground's company stands on each question, week by week.

Six weeks of history tell a story a lead can read: the LMS pilot finds its feet as search
improves, phishing confidence dips after a phishing simulation and recovers, respect stays high
and flat just under its target, managers rarely make time to learn. Each question follows a
``Trend`` from the oldest seeded week (progress 0) to now (progress 1), plus a small wobble of
its own each week; the seeded answers are drawn so that each week's figure lands on it. The
self-assessment areas sit at different levels (resources and tools highest, leadership
commitment lowest). A question of another program gets a trend from its target.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

_NORMAL = NormalDist()


def unit(*parts: str) -> float:
    """A stable number in (0, 1) for ``parts`` (Python's ``hash`` changes between runs)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2**64


def normal(*parts: str) -> float:
    """A stable standard normal number for ``parts``."""
    return _NORMAL.inv_cdf(unit(*parts))


@dataclass(frozen=True)
class Trend:
    """A level that moves from ``start`` to ``end``, dipping by ``dip`` in the middle, with a
    weekly wobble of about ``wobble``."""

    start: float
    end: float
    dip: float = 0.0
    wobble: float = 0.0

    def at(self, progress: float) -> float:
        p = min(max(progress, 0.0), 1.0)
        return self.start + (self.end - self.start) * p - self.dip * 4 * p * (1 - p)


# Mean on the 1-5 scale.
SCALE: dict[str, Trend] = {
    "lms-find-what-i-need": Trend(3.3, 3.85, wobble=0.05),
    "leadership-time-to-learn": Trend(3.15, 3.2, wobble=0.04),
    "leadership-useful-feedback": Trend(3.55, 3.65, wobble=0.04),
    "respect-treated-with-respect": Trend(4.2, 4.2, wobble=0.04),
    "respect-safe-to-speak-up": Trend(3.5, 3.6, wobble=0.04),
    "security-spot-phishing": Trend(3.9, 3.8, dip=0.35, wobble=0.04),
    "security-lesson-relevant": Trend(3.5, 3.7, wobble=0.04),
    "soft-skills-difficult-conversation": Trend(3.45, 3.6, wobble=0.04),
}
# Share of "yes", 0..1.
YES: dict[str, Trend] = {
    "lms-learned-today": Trend(0.35, 0.5, wobble=0.03),
    "leadership-growth-conversation": Trend(0.52, 0.6, wobble=0.02),
    "security-know-where-data-goes": Trend(0.7, 0.76, wobble=0.02),
    "technical-applied-on-the-job": Trend(0.56, 0.72, wobble=0.02),
    "technical-hands-on-today": Trend(0.3, 0.42, wobble=0.03),
    "soft-skills-practiced-this-week": Trend(0.6, 0.56, wobble=0.03),
}
# eNPS, -100..100.
ENPS: dict[str, Trend] = {
    "lms-recommend": Trend(4, 18, wobble=3),
    "technical-recommend": Trend(22, 34, wobble=3),
}
# Weights of the options, in the question's order: the oldest week, then now.
CHOICE: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "lms-main-use": ((0.36, 0.24, 0.10, 0.18, 0.12), (0.28, 0.30, 0.13, 0.20, 0.09)),
    "leadership-support-wish": ((0.20, 0.20, 0.22, 0.28, 0.10), (0.18, 0.19, 0.21, 0.32, 0.10)),
    "respect-training-in-use": ((0.14, 0.22, 0.30, 0.16, 0.18), (0.16, 0.23, 0.32, 0.16, 0.13)),
    "security-suspicious-response": ((0.38, 0.34, 0.10, 0.18), (0.48, 0.28, 0.08, 0.16)),
    "technical-course-pace": ((0.08, 0.50, 0.30, 0.12), (0.08, 0.58, 0.26, 0.08)),
    "soft-skills-next-focus": ((0.26, 0.18, 0.14, 0.27, 0.15), (0.25, 0.19, 0.14, 0.28, 0.14)),
}
# Share of people who take part in a reporting period (the rest are away, swamped or ignore the
# prompts): the period's response rate.
TAKING_PART: dict[str, Trend] = {
    "lms": Trend(0.85, 0.8),
    "leadership": Trend(0.8, 0.78),
    "respect": Trend(0.82, 0.78),
    "security": Trend(0.76, 0.84),
    "technical": Trend(0.82, 0.86),
    "soft-skills": Trend(0.84, 0.78),
}
TAKING_PART_BANKS = Trend(0.76, 0.74)
# Bank areas (self-assessment and outcomes), mean on the 1-5 scale.
AREAS: dict[str, float] = {
    "culture-alignment": 3.3,
    "values-and-norms": 3.6,
    "strategic-goals": 3.4,
    "learning-conversations": 3.2,
    "leadership-commitment": 2.8,
    "resources-and-tools": 3.9,
    "productivity": 3.7,
    "cost": 3.2,
    "revenue-and-customers": 3.0,
    "retention-and-growth": 3.4,
    "business-continuity": 3.5,
}
AREA_DRIFT = 0.08  # banks improve a little over the weeks
ITEM_SPREAD = 0.15  # items of one area differ by up to this much


@dataclass(frozen=True)
class Subject:
    """What the storyline needs to know about a question."""

    id: str
    kind: str
    target: float | None = None
    area: str | None = None
    options: int = 0


def _wobble(question_id: str, day: date, size: float) -> float:
    """This week's own wobble: the same for everyone asked that week, at most two sizes."""
    year, week, _ = day.isocalendar()
    return max(-2.0, min(2.0, normal("wobble", question_id, str(year), str(week)))) * size


def _offset(question_id: str, size: float) -> float:
    return (unit("offset", question_id) - 0.5) * 2 * size


def scale_mean(subject: Subject, progress: float, day: date) -> float:
    """The mean on the 1-5 scale that ``day``'s answers to ``subject`` land on."""
    if subject.area is not None:
        level = AREAS.get(subject.area, 3.5) + _offset(subject.id, ITEM_SPREAD)
        level += AREA_DRIFT * progress + _wobble(subject.id, day, 0.04)
    elif subject.id in SCALE:
        trend = SCALE[subject.id]
        level = trend.at(progress) + _wobble(subject.id, day, trend.wobble)
    else:
        goal = subject.target if subject.target is not None else 3.8
        level = Trend(goal - 0.45, goal - 0.15).at(progress) + _offset(subject.id, 0.2)
        level += _wobble(subject.id, day, 0.04)
    return min(max(level, 1.3), 4.7)


def yes_share(subject: Subject, progress: float, day: date) -> float:
    """The share of "yes" that ``day``'s answers to ``subject`` land on."""
    if subject.id in YES:
        trend = YES[subject.id]
        share = trend.at(progress) + _wobble(subject.id, day, trend.wobble)
    else:
        goal = (subject.target if subject.target is not None else 70) / 100
        share = Trend(goal - 0.15, goal - 0.07).at(progress) + _offset(subject.id, 0.05)
        share += _wobble(subject.id, day, 0.02)
    return min(max(share, 0.05), 0.95)


def enps_score(subject: Subject, progress: float, day: date) -> float:
    """The eNPS that ``day``'s answers to ``subject`` land on."""
    if subject.id in ENPS:
        trend = ENPS[subject.id]
        score = trend.at(progress) + _wobble(subject.id, day, trend.wobble)
    else:
        goal = subject.target if subject.target is not None else 20
        score = Trend(goal - 15, goal - 5).at(progress) + _wobble(subject.id, day, 3)
    return min(max(score, -60.0), 70.0)


def choice_weights(subject: Subject, progress: float) -> tuple[float, ...]:
    """How often each option is picked, in the question's order."""
    if subject.id in CHOICE and len(CHOICE[subject.id][0]) == subject.options:
        first, last = CHOICE[subject.id]
        p = min(max(progress, 0.0), 1.0)
        return tuple(a + (b - a) * p for a, b in zip(first, last, strict=True))
    return tuple(0.3 + unit("option", subject.id, str(index)) for index in range(subject.options))


def taking_part(workstream_id: str, builtin: bool, progress: float) -> float:
    """The share of a workstream's people who answer anything in a reporting period."""
    if builtin:
        return TAKING_PART_BANKS.at(progress)
    return TAKING_PART.get(workstream_id, Trend(0.82, 0.8)).at(progress)
