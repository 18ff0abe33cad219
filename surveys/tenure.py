"""Tenure bands derived from a person's ``start_date`` attribute, for breakdowns by tenure.

Bands are coarse on purpose: a start date is close to identifying, a band of years is not.
"""

from __future__ import annotations

from datetime import date

BANDS = ("< 1 year", "1\N{EN DASH}3 years", "3\N{EN DASH}5 years", "5+ years")
NOT_STARTED = "not started yet"


def full_years(start: date, today: date) -> int:
    """Whole years from ``start`` to ``today`` (a 29 February start counts from 28 February)."""
    years = today.year - start.year
    try:
        anniversary = start.replace(year=today.year)
    except ValueError:  # 29 February in a year that has none
        anniversary = date(today.year, 2, 28)
    return years - (1 if today < anniversary else 0)


def tenure_band(start_date: str | date, today: date) -> str:
    """The band of a start date (``YYYY-MM-DD`` or a date) on ``today``, one of ``BANDS``:
    under a year, one to three, three to five, five and more; a date in the future is
    "not started yet"."""
    start = start_date if isinstance(start_date, date) else date.fromisoformat(start_date)
    if start > today:
        return NOT_STARTED
    years = full_years(start, today)
    if years < 1:
        return BANDS[0]
    if years < 3:
        return BANDS[1]
    if years < 5:
        return BANDS[2]
    return BANDS[3]
