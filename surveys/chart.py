"""The key-measure trend chart: a small PNG, one panel per key measure, target as a dashed line.

Rendered with matplotlib's Agg backend (no display needed). A period whose figure was withheld
by the anonymity thresholds is a gap in the line, never a point. ``trend_chart`` returns the image
with the points it was drawn from, so what a chart reveals can be read without decoding pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # after selecting the backend

_LINE = "#2f6db5"
_TARGET = "#c0392b"


@dataclass(frozen=True)
class Series:
    """One key measure over consecutive periods; ``None`` where nothing may be shown."""

    name: str
    values: Sequence[float | None]
    target: float | None
    low: float
    high: float
    unit: str = ""


@dataclass(frozen=True)
class Chart:
    """A drawn chart and exactly the points it was drawn from: every figure the image shows is
    in ``series``, and a withheld period is ``None`` there as it is a gap in the image."""

    png: bytes
    labels: tuple[str, ...]
    series: tuple[Series, ...]


def trend_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> Chart | None:
    """``trend_png`` of ``series``, kept with the (frozen) series it drew; None when no figure
    may be shown."""
    drawn = tuple(replace(one, values=tuple(one.values)) for one in series)
    png = trend_png(title, labels, drawn)
    return None if png is None else Chart(png=png, labels=tuple(labels), series=drawn)


def trend_png(title: str, labels: Sequence[str], series: Sequence[Series]) -> bytes | None:
    """A PNG of ``series`` against ``labels`` (period names), or None when no figure may be
    shown (an empty chart would only say "not enough responses" less clearly than text)."""
    if not labels or not any(v is not None for one in series for v in one.values):
        return None
    figure = Figure(figsize=(6.4, 1.0 + 1.6 * len(series)), dpi=90)
    axes_list = figure.subplots(len(series), 1, squeeze=False)[:, 0]
    positions = list(range(len(labels)))
    for axes, one in zip(axes_list, series, strict=True):
        xs = [x for x, v in zip(positions, one.values, strict=True) if v is not None]
        ys = [v for v in one.values if v is not None]
        axes.plot(xs, ys, marker="o", color=_LINE, linewidth=2)
        if one.target is not None:
            axes.axhline(one.target, color=_TARGET, linestyle="--", linewidth=1, label="target")
        if not ys:
            axes.text(0.5, 0.5, "not enough responses yet", transform=axes.transAxes,
                      ha="center", va="center", fontsize=8, color="#57606a")  # fmt: skip
        decimals = 1 if one.high - one.low <= 10 else 0
        for x, y in zip(xs, ys, strict=True):
            axes.annotate(
                f"{y:.{decimals}f}{one.unit}",
                (x, y),
                textcoords="offset points",
                xytext=(0, 6),
                ha="center",
                fontsize=7,
            )
        margin = (one.high - one.low) * 0.08
        axes.set_ylim(one.low - margin, one.high + margin)
        axes.set_xlim(-0.5, len(labels) - 0.5)
        axes.set_xticks(positions, list(labels), fontsize=7)
        axes.set_title(_shorten(one.name), fontsize=8, loc="left")
        axes.tick_params(axis="y", labelsize=7)
        axes.grid(axis="y", alpha=0.3)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
