"""What is counted for a workstream and period (never who), and the SQL pieces every count
shares: the tables, and which period a date falls in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, null
from sqlmodel import SQLModel

from storage.tables import Answer, AudienceMember, Delivery, Occurrence
from surveys.periods import Period

POSITIVE = 0.1  # polarity above this is a positive comment
NEGATIVE = -0.1  # below this a negative one; in between neutral

ANSWERS: Table = SQLModel.metadata.tables[str(Answer.__tablename__)]
DELIVERIES: Table = SQLModel.metadata.tables[str(Delivery.__tablename__)]
OCCURRENCES: Table = SQLModel.metadata.tables[str(Occurrence.__tablename__)]
AUDIENCE: Table = SQLModel.metadata.tables[str(AudienceMember.__tablename__)]


@dataclass
class QuestionTally:
    """One question in one period: how many people answered, and how (never who).

    ``answers`` is how many values the figure is made of: the same as ``people`` in
    ``confidential`` mode, possibly more in ``anonymous`` mode."""

    people: int = 0
    answers: int = 0
    scores: Counter[float] = field(default_factory=Counter)
    choices: Counter[str] = field(default_factory=Counter)
    pilot_people: int = 0
    pilot_answers: int = 0
    pilot_scores: Counter[float] = field(default_factory=Counter)
    unkeyed: int = 0  # anonymous answers among them: their people come from the ledger

    @property
    def rest_people(self) -> int:
        return self.people - self.pilot_people

    @property
    def rest_answers(self) -> int:
        return self.answers - self.pilot_answers

    @property
    def rest_scores(self) -> Counter[float]:
        return self.scores - self.pilot_scores


@dataclass
class CommentTally:
    """Comment sentiment of one workstream in one period, one comment per person."""

    people: int = 0
    comments: int = 0
    polarity_sum: float = 0.0
    positive: int = 0
    negative: int = 0
    unkeyed: int = 0  # anonymous comments among them: their people come from the ledger

    @property
    def neutral(self) -> int:
        return self.comments - self.positive - self.negative

    @property
    def polarity(self) -> float | None:
        return self.polarity_sum / self.comments if self.comments else None


@dataclass
class PeriodTally:
    """Everything counted for one workstream in one period."""

    period: Period
    questions: dict[str, QuestionTally] = field(default_factory=dict)
    comments: CommentTally = field(default_factory=CommentTally)
    asked: int = 0  # people prompted at least once in the period
    responded: int = 0  # of them, people who answered at least one prompt

    def question(self, question_id: str) -> QuestionTally:
        return self.questions.get(question_id) or QuestionTally()

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.asked if self.asked else None


def period_index(column: Any, periods: Sequence[Period]) -> ColumnElement[Any]:
    """The index (oldest first) of the period a date falls in; periods are consecutive."""
    newest_first = list(enumerate(periods))[::-1]
    return case(*[(column >= p.start, i) for i, p in newest_first], else_=null())


def span(column: Any, periods: Sequence[Period]) -> ColumnElement[bool]:
    """Dates from the first period's start to the last one's end."""
    return and_(column >= periods[0].start, column <= periods[-1].end)
