"""Believable synthetic answers for the playground: values that drift upward over the weeks, and
comments that become more positive, so digests have a trend to show.

``level`` runs from 0 (the oldest seeded week) to 1 (now); each workstream gets a fixed offset so
some stay under their target and the digest has something to flag.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

POSITIVE_COMMENTS = (
    "The short videos are great, I can finish one between jobs.",
    "Really helpful session, I used the checklist the same afternoon.",
    "My manager made time for this and it made a real difference.",
    "Finding courses is much easier now, search works well.",
    "Loved the hands-on practice, best training we have had.",
    "Clear and practical, I feel more confident already.",
    "The mentoring pairs are a brilliant idea.",
    "Good pace and useful examples from our own plant.",
)
NEUTRAL_COMMENTS = (
    "Did the module on Tuesday.",
    "Mostly compliance training this week.",
    "I used it twice, both times for the same course.",
    "Some content applies to my role, some does not.",
    "I would like more sessions in the afternoon.",
    "Still working through the second module.",
)
NEGATIVE_COMMENTS = (
    "Too busy with the month-end close to do any learning.",
    "The login keeps timing out, which is frustrating.",
    "Hard to find time, the schedule is packed and training feels like extra work.",
    "The course was too long and the quiz was confusing.",
    "Bad audio in the recorded sessions.",
)
TEXT_ANSWERS = (
    "Shift changes meant I could not get to the training room.",
    "More examples from our own machines would help.",
    "A quick guide on sharing files securely with suppliers.",
    "Time. Meetings took most of the week.",
    "Better search for short how-to videos.",
    "Pairing with someone more experienced for an afternoon.",
    "How to spot fake invoices.",
    "Feedback conversations with my team went better after the workshop.",
)


def workstream_offset(workstream_id: str) -> float:
    """A fixed -0.35..+0.35 shift per workstream, so they do not all look alike."""
    n = int.from_bytes(hashlib.sha256(workstream_id.encode()).digest()[:2], "big")
    return (n / 65535 - 0.5) * 0.7


def answer_value(
    kind: str, choices: Sequence[str], rng: random.Random, level: float, offset: float = 0.0
) -> str:
    """One answer for a question kind; ``choices`` are the values a button or menu offers."""
    mood = min(1.0, max(0.0, level + offset))
    if kind == "scale":
        return str(_clamp(round(rng.gauss(3.0 + 1.2 * mood, 0.8)), 1, 5))
    if kind == "enps":
        return str(_clamp(round(rng.gauss(6.0 + 2.6 * mood, 1.7)), 0, 10))
    if kind == "yes_no":
        return "yes" if rng.random() < 0.4 + 0.4 * mood else "no"
    if kind == "choice" and choices:
        weights = [1.0 + (len(choices) - i) * mood for i in range(len(choices))]
        return rng.choices(list(choices), weights=weights)[0]
    return rng.choice(TEXT_ANSWERS)


def maybe_comment(rng: random.Random, level: float, chance: float = 0.4) -> str | None:
    """A comment about a third of the time, more positive as ``level`` rises."""
    if rng.random() >= chance:
        return None
    roll = rng.random()
    if roll < 0.25 + 0.35 * level:
        return rng.choice(POSITIVE_COMMENTS)
    if roll < 0.75:
        return rng.choice(NEUTRAL_COMMENTS)
    return rng.choice(NEGATIVE_COMMENTS)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
