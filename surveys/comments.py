"""Representative comments: a few verbatim, chosen by the database, shown without any name.

For each workstream the database picks at most one comment per sentiment class (the most
positive, the most negative and the most neutral) with a window function, so only those few
encrypted texts leave the database and are decrypted. Like the counts (``surveys.tallies``), it
picks among each person's latest comment of the period only: someone who commented five times is
one voice, not five. Mentions of people (``<@U123>``, platform references) are replaced before a
comment is shown: a quote never carries a name or an id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from storage.crypto import Vault
from surveys.periods import Period
from surveys.tally_model import ANSWERS, NEGATIVE, POSITIVE

MAX_LENGTH = 280

_MENTION = re.compile(
    r"<[@!][^>]*>"  # Slack user / special mentions
    r"|<at>[^<]*</at>"  # Teams mentions
    r"|\b(?:slack|teams|local):[\w:@.\-]+"  # LearnPulse references
    r"|\b(?-i:[UW][A-Z0-9]{8,})\b"  # bare Slack user ids (upper case: not "workshops")
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",  # AAD object ids
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quote:
    """One comment as it may be shown: its sentiment class and scrubbed text."""

    tone: str  # positive | neutral | negative
    text: str
    answer_id: int | None = None  # for a Reply button's conversation; never shown


def scrub(text: str) -> str:
    """Replace every mention or id of a person, collapse whitespace, cap the length."""
    cleaned = " ".join(_MENTION.sub("@someone", text).split())
    return cleaned if len(cleaned) <= MAX_LENGTH else cleaned[: MAX_LENGTH - 1] + "…"


def representative(
    session: Session,
    vault: Vault,
    workstream_ids: Sequence[str],
    period: Period,
) -> dict[str, list[Quote]]:
    """Per workstream, up to three quotes from ``period``: positive, negative, neutral."""
    a = ANSWERS.c
    latest = func.row_number().over(
        partition_by=(a.workstream_id, a.respondent_key),
        order_by=(a.answered_on.desc(), a.id.desc()),
    )
    voices = (
        select(a.id, a.workstream_id, a.comment, a.sentiment, a.respondent_key, latest.label("n"))
        .where(
            a.workstream_id.in_(workstream_ids),
            and_(a.answered_on >= period.start, a.answered_on <= period.end),
            a.sentiment.is_not(None),
            a.comment.is_not(None),
        )
        .subquery()
    )
    v = voices.c
    tone = case(
        (v.sentiment > POSITIVE, "positive"),
        (v.sentiment < NEGATIVE, "negative"),
        else_="neutral",
    )
    order = case(
        (v.sentiment > POSITIVE, -v.sentiment),
        (v.sentiment < NEGATIVE, v.sentiment),
        else_=func.abs(v.sentiment),
    )
    ranked = (
        select(
            v.workstream_id,
            tone.label("tone"),
            v.comment,
            v.id,
            func.row_number()
            .over(partition_by=(v.workstream_id, tone), order_by=(order, v.id.desc()))
            .label("rank"),
        )
        .where(or_(v.n == 1, v.respondent_key.is_(None)))
        .subquery()
    )
    stmt = select(ranked.c.workstream_id, ranked.c.tone, ranked.c.comment, ranked.c.id).where(
        ranked.c.rank == 1
    )
    out: dict[str, list[Quote]] = {ws: [] for ws in workstream_ids}
    for ws, tone_name, comment, answer_id in session.execute(stmt):
        text = _readable(vault, comment, None)
        if text:
            out[ws].append(Quote(str(tone_name), scrub(text), int(answer_id)))
    order_of = {"positive": 0, "neutral": 1, "negative": 2}
    for quotes in out.values():
        quotes.sort(key=lambda q: order_of.get(q.tone, 3))
    return out


def latest_text_answers(
    session: Session,
    vault: Vault,
    question_ids: Sequence[str],
    period: Period,
    per_question: int = 3,
) -> dict[str, list[str]]:
    """Per free-text question, its latest few answers in ``period`` (one per person), scrubbed
    of names."""
    if not question_ids:
        return {}
    a = ANSWERS.c
    latest = func.row_number().over(
        partition_by=(a.question_id, a.respondent_key),
        order_by=(a.answered_on.desc(), a.id.desc()),
    )
    voices = (
        select(a.id, a.question_id, a.value, a.respondent_key, latest.label("n"))
        .where(
            a.question_id.in_(question_ids),
            and_(a.answered_on >= period.start, a.answered_on <= period.end),
            a.value != "",
        )
        .subquery()
    )
    v = voices.c
    ranked = (
        select(
            v.question_id,
            v.value,
            func.row_number().over(partition_by=v.question_id, order_by=v.id.desc()).label("rank"),
        )
        .where(or_(v.n == 1, v.respondent_key.is_(None)))
        .subquery()
    )
    stmt = (
        select(ranked.c.question_id, ranked.c.value)
        .where(ranked.c.rank <= per_question)
        .order_by(ranked.c.question_id, ranked.c.rank)
    )
    out: dict[str, list[str]] = {q: [] for q in question_ids}
    for question_id, value in session.execute(stmt):
        text = _readable(vault, None, value)
        if text:
            out[question_id].append(scrub(text))
    return out


def _readable(vault: Vault, comment: str | None, value: str | None) -> str | None:
    """The comment's text; for a free-text question the answer itself (encrypted or not)."""
    if comment:
        try:
            return vault.decrypt(comment)
        except ValueError:
            return None  # written under another key: never shown as garbage
    if not value:
        return None
    try:
        return vault.decrypt(value)
    except ValueError:
        return value
