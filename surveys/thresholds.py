"""The anonymity thresholds: when a figure may be shown without exposing a small group.

Three rules, all from the program's ``anonymity`` block:
- a group's scores only when at least ``min_responses`` answered, its comments only when at
  least ``min_comments`` commented;
- a part of a group (the pilot) only when the part *and* the rest are both large enough, so that
  subtracting the part from the whole never isolates fewer than ``min_responses`` people;
- a figure that overlaps one shown before (a change between periods, a digest re-posted later
  for the same period) only when both sides are large enough and they differ by zero or by at
  least the threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from surveys.program import Program

NOT_ENOUGH = "not enough responses yet"


@dataclass(frozen=True)
class Thresholds:
    min_responses: int
    min_comments: int

    @classmethod
    def of(cls, program: Program) -> Thresholds:
        return cls(program.anonymity.min_responses, program.anonymity.min_comments)

    def scores_shown(self, responses: int) -> bool:
        return responses >= self.min_responses

    def comments_shown(self, comments: int) -> bool:
        return comments >= self.min_comments

    def split_shown(self, part: int, whole: int) -> bool:
        """A part of a group and its whole may sit side by side (pilot vs everyone)."""
        return part >= self.min_responses and whole - part >= self.min_responses

    def change_shown(self, now: int, before: int) -> bool:
        """A change between two periods needs both periods above the threshold."""
        return now >= self.min_responses and before >= self.min_responses

    @staticmethod
    def differs_safely(count: int, shown_before: Iterable[int], minimum: int) -> bool:
        """Against earlier figures of overlapping sets: same count, or at least ``minimum``
        apart, so subtracting one from the other never isolates a small group."""
        return all(abs(count - n) == 0 or abs(count - n) >= minimum for n in shown_before)
