"""People and their answers per workstream and period, counted by the database.

Every figure counts people, not clicks. A person who answered the same question twice in one
period (a weekly question and an ad-hoc asking of it, a daily question in a weekly digest) counts
once, with their latest answer: in ``confidential`` mode the database keeps each pseudonym's
latest answer per question and period before it groups (a window function, only where a question
was asked more than once in the period: ``surveys.answer_tallies``). In ``anonymous``
mode nothing links two answers of one person, so each answer counts in the figure, and the number
of people behind it comes from the delivery ledger (who answered which item, never what). Both
counts are kept: the thresholds look at people, the no-subtraction rule at both.

Comments count people too: one comment per person and period (their latest) feeds the sentiment,
the shares and the quotes; in ``anonymous`` mode each comment stands alone (one per person and
asking at most) and the ledger says how many people commented. Response rates are people who
answered out of people asked. No individual answer is loaded into Python.

What is counted is ``surveys.tally_model``; the answers are counted by
``surveys.answer_tallies``, response rates and the people behind anonymous answers by
``surveys.response_tallies``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from surveys.answer_tallies import count_answers, count_choices, count_comments
from surveys.periods import Period
from surveys.response_tallies import count_people_from_ledger, count_response_rates
from surveys.tally_model import PeriodTally


def tally(
    session: Session,
    workstream_ids: Sequence[str],
    periods: Sequence[Period],
    choice_questions: Sequence[str] = (),
    *,
    detailed: int | None = None,
    trend_questions: Sequence[str] = (),
) -> dict[str, list[PeriodTally]]:
    """Per workstream, one ``PeriodTally`` per period (oldest first).

    The ``detailed`` most recent periods (all by default) are counted in full: every question,
    choices, pilot split, comments and response rates. The earlier ones only count the scores
    of ``trend_questions`` (the key measures a chart draws), which reads far fewer rows.
    """
    out = {ws: [PeriodTally(p) for p in periods] for ws in workstream_ids}
    if not workstream_ids or not periods:
        return out
    split = 0 if detailed is None else max(len(periods) - detailed, 0)
    recent = list(periods[split:])
    if recent:
        count_answers(session, workstream_ids, recent, None, out, split)
        if choice_questions:
            count_choices(session, workstream_ids, recent, choice_questions, out, split)
        count_comments(session, workstream_ids, recent, out, split)
        count_response_rates(session, workstream_ids, recent, out, split)
        count_people_from_ledger(session, workstream_ids, recent, out, split)
    if split and trend_questions:
        earlier = list(periods[:split])
        count_answers(session, workstream_ids, earlier, trend_questions, out, 0)
        count_people_from_ledger(session, workstream_ids, earlier, out, 0, trend_questions)
    return out
