"""Counting comment themes: per workstream, period and theme, how many distinct people
mentioned it, in how many comments, and their mean sentiment (never who).

Like the comment counts (``surveys.answer_tallies``), a person is one voice: in
``confidential`` mode only each pseudonym's latest comment per theme and period counts. In
``anonymous`` mode nothing links two comments of one person, but each asking takes one comment
per person (the delivery ledger refuses a second), so the comments of one asking are as many
people: a theme's people is the most comments mentioning it in any one asking of the period, a
number of people that surely mentioned it, never more. Only the top themes of the latest period
that reach the threshold have their label decrypted and a representative quote picked: the
counted comment whose sentiment is nearest the theme's mean, chosen by the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlmodel import Session

from storage.crypto import Vault
from surveys.comments import scrub
from surveys.periods import Period
from surveys.tally_model import ANSWERS, period_index, span
from surveys.theme_writes import ANSWER_THEMES, THEMES

TOP = 5  # themes a digest or a review lists per workstream


@dataclass
class ThemeCount:
    """One theme of one workstream in one period."""

    people: int = 0
    mentions: int = 0  # comments counted: one per person in confidential mode
    polarity_sum: float = 0.0

    @property
    def polarity(self) -> float:
        return self.polarity_sum / self.mentions if self.mentions else 0.0


@dataclass
class ThemeTallies:
    """The themes of one workstream in a period and the period before (theme id -> count),
    with the labels and quotes of the top themes of the period."""

    period: Period
    before_period: Period
    now: dict[int, ThemeCount] = field(default_factory=dict)
    before: dict[int, ThemeCount] = field(default_factory=dict)
    top: list[int] = field(default_factory=list)  # most people first; each reaches the minimum
    labels: dict[int, str] = field(default_factory=dict)
    quotes: dict[int, str] = field(default_factory=dict)


def count_themes(
    session: Session,
    vault: Vault,
    workstream_ids: Sequence[str],
    before: Period,
    period: Period,
    minimum: int,
) -> dict[str, ThemeTallies]:
    """The themes of ``period`` and ``before`` (consecutive) for each workstream."""
    out = {ws: ThemeTallies(period, before) for ws in workstream_ids}
    if not workstream_ids:
        return out
    periods = [before, period]
    rows = _counted_rows(workstream_ids, periods)
    r = rows.c
    stmt = select(
        r.workstream_id, r.bucket, r.theme_id,
        func.count(), func.count(r.respondent_key), func.sum(r.sentiment),
    ).group_by(r.workstream_id, r.bucket, r.theme_id)  # fmt: skip
    unkeyed = False
    for ws, bucket, theme_id, n, keyed, polarity in session.execute(stmt):
        if bucket is None:
            continue
        side = out[ws].now if int(bucket) == 1 else out[ws].before
        side[int(theme_id)] = ThemeCount(int(keyed), int(n), float(polarity or 0.0))
        unkeyed |= int(n) > int(keyed)
    if unkeyed:
        _people_of_anonymous(session, rows, out)
    for tallies in out.values():
        passing = [t for t, c in tallies.now.items() if c.people >= minimum]
        passing.sort(key=lambda t: (-tallies.now[t].people, -tallies.now[t].mentions, t))
        tallies.top = passing[:TOP]
    _labels(session, vault, out)
    _quotes(session, vault, rows, out)
    return out


def _counted_rows(workstream_ids: Sequence[str], periods: Sequence[Period]) -> Any:
    """The comments that count, one row per (answer, theme): each pseudonym's latest per
    theme and period, and every anonymous one."""
    a, t = ANSWERS.c, ANSWER_THEMES.c
    bucket = period_index(a.answered_on, periods)
    latest = func.row_number().over(
        partition_by=(a.workstream_id, t.theme_id, bucket, a.respondent_key),
        order_by=(a.answered_on.desc(), a.id.desc()),
    )
    every = (
        select(
            a.id, a.workstream_id, a.occurrence_id, a.respondent_key, a.sentiment, a.comment,
            t.theme_id, bucket.label("bucket"), latest.label("latest"),
        )
        .select_from(ANSWERS.join(ANSWER_THEMES, t.answer_id == a.id))
        .where(
            a.workstream_id.in_(workstream_ids),
            span(a.answered_on, periods),
            a.comment.is_not(None),
        )
        .subquery()
    )  # fmt: skip
    e = every.c
    return select(every).where(or_(e.latest == 1, e.respondent_key.is_(None))).subquery()


def _people_of_anonymous(session: Session, rows: Any, out: dict[str, ThemeTallies]) -> None:
    r = rows.c
    per_asking = (
        select(r.workstream_id, r.bucket, r.theme_id, func.count().label("n"))
        .where(r.respondent_key.is_(None))
        .group_by(r.workstream_id, r.bucket, r.theme_id, r.occurrence_id)
        .subquery()
    )
    p = per_asking.c
    stmt = select(p.workstream_id, p.bucket, p.theme_id, func.max(p.n)).group_by(
        p.workstream_id, p.bucket, p.theme_id
    )
    for ws, bucket, theme_id, most in session.execute(stmt):
        if bucket is None:
            continue
        side = out[ws].now if int(bucket) == 1 else out[ws].before
        count = side[int(theme_id)]
        count.people = max(count.people, int(most))


def _labels(session: Session, vault: Vault, out: dict[str, ThemeTallies]) -> None:
    wanted = {t for tallies in out.values() for t in tallies.top}
    if not wanted:
        return
    found: dict[int, str] = {}
    for theme_id, sealed in session.execute(
        select(THEMES.c.id, THEMES.c.label).where(THEMES.c.id.in_(wanted))
    ):
        try:
            found[int(theme_id)] = vault.decrypt(sealed)
        except ValueError:
            continue  # written under another key: never shown as garbage
    for tallies in out.values():
        tallies.labels = {t: found[t] for t in tallies.top if t in found}
        tallies.top = [t for t in tallies.top if t in found]


def _quotes(session: Session, vault: Vault, rows: Any, out: dict[str, ThemeTallies]) -> None:
    """One quote per top theme: the counted comment nearest the theme's mean sentiment."""
    pairs = [(ws, t) for ws, tallies in out.items() for t in tallies.top]
    if not pairs:
        return
    r = rows.c
    wanted: ColumnElement[bool] = and_(
        r.bucket == 1,
        r.sentiment.is_not(None),
        tuple_(r.workstream_id, r.theme_id).in_(pairs),
    )
    with_mean = select(
        r.workstream_id, r.theme_id, r.id, r.comment, r.sentiment,
        func.avg(r.sentiment).over(partition_by=(r.workstream_id, r.theme_id)).label("mean"),
    ).where(wanted).subquery()  # fmt: skip
    m = with_mean.c
    ranked = select(
        m.workstream_id, m.theme_id, m.comment,
        func.row_number().over(
            partition_by=(m.workstream_id, m.theme_id),
            order_by=(func.abs(m.sentiment - m.mean), m.id.desc()),
        ).label("rank"),
    ).subquery()  # fmt: skip
    k = ranked.c
    stmt = select(k.workstream_id, k.theme_id, k.comment).where(k.rank == 1)
    for ws, theme_id, sealed in session.execute(stmt):
        try:
            out[ws].quotes[int(theme_id)] = scrub(vault.decrypt(sealed))
        except ValueError:
            continue
