"""What needs attention in a review, ranked: each flag rests on figures that were shown.

Below target (from the latest shown period, the figure status shows), a key measure falling
(the span's mean of shown periods against the span before), participation falling (people
answered of people asked, only with enough people asked on either side) and comment sentiment
negative or falling. Most severe first, at most a few per workstream, so what matters stands
out.
"""

from __future__ import annotations

from collections.abc import Sequence

from surveys import measures
from surveys.review_model import Average, Flag, Point, WorkstreamReview

FLAGS_PER_WORKSTREAM = 5
FALLING_PARTICIPATION = 0.10  # ten points of response rate, span against the span before
NEGATIVE = -0.10  # comment sentiment below this, or falling by this much, is flagged
NO_ACTION = "; no action recorded"
FALLING_SHARE = 0.10  # a key measure falling by a tenth of its range is flagged


def ranked_flags(
    review: WorkstreamReview, min_people: int, limit: int = FLAGS_PER_WORKSTREAM
) -> list[Flag]:
    """What needs attention, most severe first, each backed by figures that were shown; a
    participation trend only with at least ``min_people`` asked on either side."""
    flags: list[Flag] = []
    for view in review.measures:
        scale = measures.SCALES.get(view.kind)
        width = (scale.high - scale.low) if scale else 1.0
        latest = view.latest
        if latest is not None and latest.value is not None and view.target is not None:
            gap = view.target - latest.value
            if gap > 0:
                acted = _acted_on(review, view.question_id)
                flags.append(
                    Flag(
                        min(1.0, 0.5 + gap / width + (0.0 if acted else 0.1)),
                        f"below target: “{view.name}” at "
                        f"{measures.written(view.kind, latest.value)} "
                        f"(target {measures.written(view.kind, view.target)}; "
                        f"{latest.people} people, {latest.period.label()})"
                        + ("" if acted else NO_ACTION),
                    )
                )
        span, before = view.span, view.before
        if (
            span is not None
            and before is not None
            and before.value - span.value >= (FALLING_SHARE * width)
        ):
            flags.append(
                Flag(
                    min(1.0, 0.3 + (before.value - span.value) / width),
                    f"falling: “{view.name}” "
                    f"{measures.written(view.kind, before.value)} to "
                    f"{measures.written(view.kind, span.value)} (period mean, against the one "
                    "before)",
                )
            )
    now_rate = _rate(review.participation)
    before_rate = _rate(review.participation_before)
    if (
        now_rate is not None
        and before_rate is not None
        and now_rate[1] >= min_people
        and before_rate[1] >= min_people
        and before_rate[0] - now_rate[0] >= FALLING_PARTICIPATION
    ):
        drop = before_rate[0] - now_rate[0]
        flags.append(
            Flag(
                min(1.0, 0.2 + drop),
                f"falling participation: {100 * before_rate[0]:.0f}% to {100 * now_rate[0]:.0f}% "
                f"of people asked",
            )
        )
    tone = _tone_flag(Average.of(review.sentiment), Average.of(review.sentiment_before))
    if tone is not None:
        flags.append(tone)
    flags.sort(key=lambda f: -f.severity)
    return flags[:limit]


def _acted_on(review: WorkstreamReview, question_id: str | None) -> bool:
    """An action of the review's span is tied to this key measure, or to no question at all."""
    return any(one.action.question_id in (None, question_id) for one in review.actions)


def _tone_flag(tone: Average | None, before: Average | None) -> Flag | None:
    """Comment sentiment that is negative over the span, or fell against the span before."""
    if tone is None:
        return None
    fall = before.value - tone.value if before is not None else 0.0
    if tone.value >= NEGATIVE and fall < -NEGATIVE:
        return None
    start = f"{before.value:+.2f} to " if before is not None else ""
    severity = min(1.0, 0.2 + max(-tone.value, 0.0) + max(fall, 0.0))
    return Flag(severity, f"negative comment trend: sentiment {start}{tone.value:+.2f}")


def _rate(points: Sequence[Point]) -> tuple[float, int] | None:
    """Response rate over a span of periods (people answered of people asked, summed)."""
    asked = sum(p.people for p in points)
    if not asked:
        return None
    answered = sum((p.value or 0.0) * p.people for p in points)
    return answered / asked, asked
