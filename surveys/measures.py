"""What one number stands for, per question kind: the figure compared with a target.

``scale`` is the mean (1-5), ``yes_no`` the share of yes in percent, ``enps`` the Net Promoter
Score (promoters 9-10 minus detractors 0-6, in percent). ``choice`` and ``text`` have no single
figure. The same definitions serve digests, status, the review and a person's own trend.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

FIGURE_KINDS = ("scale", "yes_no", "enps")


@dataclass(frozen=True)
class Scale:
    """The range a figure lives in (for charts) and how it is written."""

    low: float
    high: float
    unit: str


SCALES = {
    "scale": Scale(1.0, 5.0, ""),
    "yes_no": Scale(0.0, 100.0, "%"),
    "enps": Scale(-100.0, 100.0, ""),
}


def mean(scores: Counter[float]) -> float | None:
    total = sum(scores.values())
    return sum(s * n for s, n in scores.items()) / total if total else None


def enps(scores: Counter[float]) -> float | None:
    """Promoters (9-10) minus detractors (0-6), in percent of everyone who answered."""
    total = sum(scores.values())
    if not total:
        return None
    promoters = sum(n for s, n in scores.items() if s >= 9)
    detractors = sum(n for s, n in scores.items() if s <= 6)
    return 100.0 * (promoters - detractors) / total


def figure(kind: str, scores: Counter[float]) -> float | None:
    """The one number of a question of ``kind``, or None when it has none."""
    if kind == "scale":
        return mean(scores)
    if kind == "yes_no":
        value = mean(scores)
        return None if value is None else 100.0 * value
    if kind == "enps":
        return enps(scores)
    return None


def written(kind: str, value: float) -> str:
    """A figure as people read it: ``4.2 / 5``, ``72%``, ``+25``."""
    if kind == "scale":
        return f"{value:.1f} / 5"
    if kind == "yes_no":
        return f"{value:.0f}% yes"
    if kind == "enps":
        return f"{value:+.0f} eNPS"
    return f"{value:.1f}"


def change_written(kind: str, delta: float) -> str:
    """A change between two figures, with an arrow: ``▲ +0.3``, ``▼ -5 pts``."""
    shown = round(delta, 1) if kind == "scale" else round(delta)
    if shown == 0:
        return "= no change"
    arrow = "▲" if shown > 0 else "▼"
    if kind == "scale":
        return f"{arrow} {delta:+.1f}"
    return f"{arrow} {delta:+.0f} pts"


def target_met(value: float, target: float) -> bool:
    return value >= target
