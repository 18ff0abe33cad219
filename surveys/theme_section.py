"""The themes a digest or a review shows: which figures it asks the disclosure rule for, and
the section it renders with those admitted.

A theme is a figure like any other (``surveys.disclosure``): its people must reach
``min_comments`` and differ safely from what was shown before for the same theme and period.
Its rise or fall against the period before reveals that period's count too, so the mark is
asked for as a bundle of both figures, shown only when both pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.messages import Section
from surveys.disclosure import ALL, Bundle, Candidate, FigureKey
from surveys.periods import Period
from surveys.theme_tallies import ThemeCount, ThemeTallies

RISING = "▲"
FALLING = "▼"
HEADING = "Themes"


@dataclass(frozen=True)
class ThemeLine:
    """One shown theme: its name, the people who mentioned it, their mean sentiment, a quote,
    and ▲ or ▼ against the period before (empty when unknown or unchanged)."""

    label: str
    people: int
    polarity: float
    quote: str | None
    trend: str = ""

    def text(self) -> str:
        mark = f" {self.trend}" if self.trend else ""
        return f"{self.label}{mark}: {self.people} people, sentiment {self.polarity:+.2f}"


def subject(theme_id: int) -> str:
    return f"theme:{theme_id}"


def _candidate(
    ws_id: str, theme_id: int, period: Period, count: ThemeCount, minimum: int
) -> Candidate:
    key = FigureKey(ws_id, subject(theme_id), ALL, period)
    return Candidate(key, count.people, count.mentions, minimum)


def bundles(ws_id: str, tallies: ThemeTallies, minimum: int) -> Iterator[Bundle]:
    """The figures of the top themes, and each with its period before for the trend mark."""
    for theme_id in tallies.top:
        now = _candidate(ws_id, theme_id, tallies.period, tallies.now[theme_id], minimum)
        yield (now,)
        earlier = tallies.before.get(theme_id)
        if earlier is not None and earlier.people >= minimum:
            yield (now, _candidate(ws_id, theme_id, tallies.before_period, earlier, minimum))


def shown(ws_id: str, tallies: ThemeTallies, admitted: frozenset[FigureKey]) -> list[ThemeLine]:
    """The admitted top themes, most people first."""
    lines = []
    for theme_id in tallies.top:
        if FigureKey(ws_id, subject(theme_id), ALL, tallies.period) not in admitted:
            continue
        now = tallies.now[theme_id]
        trend = ""
        earlier = tallies.before.get(theme_id)
        before_key = FigureKey(ws_id, subject(theme_id), ALL, tallies.before_period)
        if earlier is not None and before_key in admitted and earlier.people != now.people:
            trend = RISING if now.people > earlier.people else FALLING
        label = tallies.labels[theme_id]
        lines.append(
            ThemeLine(
                label, now.people, round(now.polarity, 2), tallies.quotes.get(theme_id), trend
            )
        )
    return lines


def with_quote(line: ThemeLine) -> str:
    """A theme on one line, its quote after it (a field of a review's workstream)."""
    return f"{line.text()} — “{line.quote}”" if line.quote else line.text()


def section(lines: list[ThemeLine], minimum: int, heading: str = HEADING) -> Section:
    """The themes as a report section, one line each with its quote (a quote on a line of
    its own reads as one more theme in a bulleted list)."""
    if not lines:
        return Section(heading, (f"No theme mentioned by {minimum} people yet.",))
    return Section(heading, tuple(with_quote(line) for line in lines))
