"""What digests already showed: the memory behind the subtraction guard.

Every posted digest records, per question, how many answers its figures were made of
(``posted_digest.summary``). Before a figure of an overlapping period is shown again (a digest
re-posted for the same period, a change against a period that got late answers, a chart point,
a status line), its count is compared with those: equal, or at least the threshold apart, or it
is withheld. A question a digest withheld counts as 0 there: nothing was revealed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from storage.tables import PostedDigest
from surveys.periods import Period

DIGEST = "digest"


@dataclass
class ShownBefore:
    """The summaries posted for one workstream, with the period each covered."""

    entries: list[tuple[Period, dict[str, Any]]] = field(default_factory=list)

    def counts(self, period: Period, figure: str, question_id: str | None = None) -> list[int]:
        """Counts behind ``figure`` (``responses``, ``pilot`` per question, or ``comments``)
        in every posted summary whose period overlaps ``period``."""
        out: list[int] = []
        for covered, summary in self.entries:
            if not covered.overlaps(period):
                continue
            value = summary.get(figure, 0 if question_id is None else {})
            if question_id is not None:
                value = value.get(question_id, 0) if isinstance(value, dict) else 0
            out.append(int(value or 0))
        return out


def shown_before(
    session: Session, workstream_ids: Sequence[str], span: Period
) -> dict[str, ShownBefore]:
    """Per workstream, the digests posted for periods overlapping ``span``."""
    rows = session.exec(
        select(PostedDigest).where(
            PostedDigest.kind == DIGEST,
            col(PostedDigest.workstream_id).in_(workstream_ids),
            PostedDigest.period_start <= span.end,
            PostedDigest.period_end >= span.start,
        )
    ).all()
    out: dict[str, ShownBefore] = defaultdict(ShownBefore)
    for row in rows:
        if row.workstream_id is not None:
            out[row.workstream_id].entries.append(
                (Period(row.period_start, row.period_end), row.summary or {})
            )
    return out
