"""The key-measure trend chart: a PNG a lead can read in chat, one panel per key measure.

Rendered with matplotlib's Agg backend (no display needed), 8.5 inches wide with fonts of 11-15
points, so it stays legible when Slack, Teams or a browser shrink it to the message's width.
Each panel has its question in full (wrapped), the target as a labelled dashed line, and each
point its value and the number of people behind it. A period whose figure was withheld by the
anonymity thresholds is a gap in the line, never a point. ``trend_chart`` returns the image
with the points it was drawn from and every text written on it, so what a chart reveals can be
read without decoding pixels.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes  # after selecting the backend
from matplotlib.figure import Figure

_LINE = "#2f6db5"
_TARGET = "#c0392b"
_MUTED = "#57606a"
_BEHIND_TEXT = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"}
WIDTH_INCHES = 8.5
PANEL_INCHES = 2.6
TITLE_LINE_INCHES = 0.26
DPI = 100
TITLE_WIDTH = 80  # characters of a question per line of a panel's title
ROOMY_PERIODS = 12  # up to this many periods, every point and tick has room for its own labels


@dataclass(frozen=True)
class Series:
    """One key measure over consecutive periods; ``None`` where nothing may be shown.

    ``people`` (optional, one per period) is how many people each shown point stands for; None
    or 0 where the point was withheld.
    """

    name: str
    values: Sequence[float | None]
    target: float | None
    low: float
    high: float
    unit: str = ""
    people: Sequence[int | None] = ()


@dataclass(frozen=True)
class Chart:
    """A drawn chart and exactly the points it was drawn from: every figure the image shows is
    in ``series``, and a withheld period is ``None`` there as it is a gap in the image.
    ``texts`` is every text written on it (titles, target labels, each point's value and its
    people, ``n=12``), in drawing order, with line breaks as spaces, apart from the axes'
    tick labels."""

    png: bytes
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    texts: tuple[str, ...] = field(default=())


def trend_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> Chart | None:
    """The chart of ``series`` against ``labels`` (period names), kept with the (frozen) series
    it drew and its texts; None when no figure may be shown (an empty chart would only say
    "not enough responses" less clearly than text)."""
    drawn = tuple(
        replace(one, values=tuple(one.values), people=tuple(one.people)) for one in series
    )
    if not labels or not any(v is not None for one in drawn for v in one.values):
        return None
    png, texts = _draw(title, labels, drawn)
    return Chart(png=png, labels=tuple(labels), series=drawn, texts=texts)


def trend_png(title: str, labels: Sequence[str], series: Sequence[Series]) -> bytes | None:
    """Just the PNG of ``trend_chart``."""
    chart = trend_chart(title, labels, series)
    return chart.png if chart is not None else None


def value_text(one: Series, value: float) -> str:
    """A point's figure as the chart writes it: one decimal on a 1-5 scale, whole numbers on
    percentages and eNPS (signed, as -100..100 is)."""
    decimals = 1 if one.high - one.low <= 10 else 0
    sign = "+" if one.low < 0 else ""
    return f"{value:{sign}.{decimals}f}{one.unit}"


def _draw(
    title: str, labels: Sequence[str], series: Sequence[Series]
) -> tuple[bytes, tuple[str, ...]]:
    titles = [textwrap.fill(one.name, TITLE_WIDTH) for one in series]
    title_lines = sum(t.count("\n") + 1 for t in titles)
    height = 0.7 + PANEL_INCHES * len(series) + TITLE_LINE_INCHES * title_lines
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    axes_list = figure.subplots(len(series), 1, squeeze=False)[:, 0]
    texts: list[str] = [title]
    figure.suptitle(title, fontsize=15, fontweight="bold", x=0.01, ha="left")
    for axes, one, panel_title in zip(axes_list, series, titles, strict=True):
        texts.append(one.name)
        axes.set_title(panel_title, fontsize=13, loc="left")
        texts.extend(_panel(axes, one, labels))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue(), tuple(texts)


def _panel(axes: Axes, one: Series, labels: Sequence[str]) -> list[str]:
    """One measure: line and points, target line, point labels; returns the texts written."""
    texts: list[str] = []
    positions = list(range(len(labels)))
    people = list(one.people) + [None] * (len(labels) - len(one.people))
    shown = [
        (x, v, n) for x, v, n in zip(positions, one.values, people, strict=False) if v is not None
    ]
    line = [math.nan if v is None else v for v in one.values]  # a withheld period breaks it
    axes.plot(positions[: len(line)], line, marker="o", markersize=6, color=_LINE,
              linewidth=2.2, zorder=3)  # fmt: skip
    span = one.high - one.low
    if one.target is not None:
        axes.axhline(one.target, color=_TARGET, linestyle="--", linewidth=1.3, zorder=2)
        target = f"target {value_text(one, one.target)}"
        texts.append(target)
        axes.annotate(target.replace(" ", "\n"), (1.0, one.target),
                      xycoords=("axes fraction", "data"), xytext=(6, 0),
                      textcoords="offset points", ha="left", va="center", fontsize=12,
                      color=_TARGET, fontweight="bold", annotation_clip=False)  # fmt: skip
    if not shown:
        texts.append("not enough responses yet")
        axes.text(0.5, 0.5, texts[-1], transform=axes.transAxes, ha="center", va="center",
                  fontsize=13, color=_MUTED)  # fmt: skip
    dense = len(labels) > ROOMY_PERIODS
    for index, (x, value, count) in enumerate(shown):
        written = value_text(one, value)
        texts.append(written)
        if count:
            texts.append(f"n={count}")
        if dense:  # value and people together, every other point below: no label overlaps
            above = index % 2 == 0
            label = f"{written}\nn={count}" if count else written
            axes.annotate(label, (x, value), textcoords="offset points",
                          xytext=(0, 7 if above else -7), ha="center",
                          va="bottom" if above else "top", fontsize=10, linespacing=1.1,
                          bbox=_BEHIND_TEXT, zorder=4)  # fmt: skip
            continue
        axes.annotate(written, (x, value), textcoords="offset points", xytext=(0, 8),
                      ha="center", va="bottom", fontsize=12, fontweight="bold",
                      bbox=_BEHIND_TEXT, zorder=4)  # fmt: skip
        if count:
            axes.annotate(texts[-1], (x, value), textcoords="offset points", xytext=(0, -9),
                          ha="center", va="top", fontsize=11, color=_MUTED,
                          bbox=_BEHIND_TEXT, zorder=4)  # fmt: skip
    margin = span * 0.18
    axes.set_ylim(one.low - margin, one.high + margin)
    axes.set_xlim(-0.5, len(labels) - 0.5)
    every = math.ceil(len(labels) / ROOMY_PERIODS)  # a readable label every few periods
    axes.set_xticks(positions, [t if i % every == 0 else "" for i, t in enumerate(labels)],
                    fontsize=11)  # fmt: skip
    axes.tick_params(axis="y", labelsize=11)
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return texts
