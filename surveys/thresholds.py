"""The anonymity thresholds of the program's ``anonymity`` block.

``min_responses`` people before a group's scores are shown, ``min_comments`` people before its
comments are; ``surveys.disclosure`` applies them, with the no-subtraction rule, to every figure
every surface shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from surveys.program import Program


@dataclass(frozen=True)
class Thresholds:
    min_responses: int
    min_comments: int

    @classmethod
    def of(cls, program: Program) -> Thresholds:
        return cls(program.anonymity.min_responses, program.anonymity.min_comments)
