"""The writes of a group of clicks, batched, and the anonymous answers written apart.

New answers and answered deliveries wait and are sent at the end of the group, each kind as one
batch (on PostgreSQL one round trip, not one per click). Anonymous answers are not written with
their deliveries at all: nothing stored may tie one to its click, so they are dated by the
asking, given random ids (never in click order) and written in a transaction of their own after
the one that marks the deliveries answered, the group's answers shuffled, so that no transaction
holds both the mark and the answer.
"""

from __future__ import annotations

import random
import secrets
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from storage.db import write_gate
from storage.tables import Answer, Delivery, DeliveryStatus, table_of
from surveys import theme_writes
from surveys.answer_clicks import Click
from surveys.context import Answering

DELIVERIES = table_of(Delivery)
ANSWERS = table_of(Answer)
RANDOM_ID_RANGE = 2**62  # anonymous answers' ids: random, never in click order

_INSERT_ANSWER = insert(ANSWERS)
_ANSWER_ID = select(ANSWERS.c.id).where(  # the one answer uq_answer_once allows
    ANSWERS.c.occurrence_id == bindparam("occurrence_id"),
    ANSWERS.c.question_id == bindparam("question_id"),
    ANSWERS.c.respondent_key == bindparam("respondent_key"),
)
CHANGE_ANSWER = (
    update(ANSWERS)
    .where(ANSWERS.c.id == bindparam("answer_id"))
    .values(value=bindparam("new_value"), score=bindparam("new_score"))
)
SET_COMMENT = (
    update(ANSWERS)
    .where(ANSWERS.c.id == bindparam("answer_id"))
    .values(comment=bindparam("new_comment"), sentiment=bindparam("new_sentiment"))
)
_MARK_ANSWERED = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("delivery_id"))
    .values(status=DeliveryStatus.ANSWERED.value, answered_items=bindparam("items"))
)


class GroupWrites:
    """The writes of a group of clicks. New answers and answered deliveries wait and are sent
    at the end, each kind as one batch (on PostgreSQL one round trip, not one per click);
    changing or commenting an answer inserted earlier in the group sends them first."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._new_answers: list[dict[str, Any]] = []
        self._answered: dict[int, list[str]] = {}  # delivery id -> its answered items
        self.unlinked: list[dict[str, Any]] = []  # anonymous answers: written apart, after
        self.unlinked_themes: list[tuple[str, ...]] = []  # the themes of each, in that order
        self.answers = 0  # answers given (new or changed), for the metric once committed
        self.themes: dict[int, tuple[str, ...]] = {}  # answer id -> its comment's themes
        self.replacing: set[int] = set()  # answers whose comment changed: old themes go
        self._new_themes: list[tuple[tuple[Any, ...], tuple[str, ...]]] = []  # by answer key

    def insert_answer(self, values: dict[str, Any], themes: tuple[str, ...] = ()) -> None:
        if values["respondent_key"] is None:
            self.unlinked.append(values)
            self.unlinked_themes.append(themes)
        else:
            self._new_answers.append(values)
            if themes:
                key = (values["occurrence_id"], values["question_id"], values["respondent_key"])
                self._new_themes.append((key, themes))

    def set_themes(self, answer_id: int, themes: tuple[str, ...]) -> None:
        """The themes of a comment stored on an existing answer, replacing its earlier ones."""
        self.themes[answer_id] = themes
        self.replacing.add(answer_id)

    def mark_answered(self, delivery_id: int, items: list[str]) -> None:
        self._answered[delivery_id] = items

    def update(self, statement: Any, values: dict[str, Any]) -> None:
        self.connection.execute(statement, values)

    def answer_id(self, click: Click, question_id: str) -> int:
        """The id of the person's answer, sending what waits when it was inserted in this group."""
        answer_id, shown = click.own[question_id]
        if answer_id is None:
            self.send()
            answer_id = int(
                self.connection.execute(
                    _ANSWER_ID,
                    {
                        "occurrence_id": click.subject.occurrence_id,
                        "question_id": question_id,
                        "respondent_key": click.key,
                    },
                ).scalar_one()
            )
            click.own[question_id] = (answer_id, shown)
        return answer_id

    def send(self) -> None:
        if self._new_answers:
            self.connection.execute(_INSERT_ANSWER, self._new_answers)
        if self._answered:
            self.connection.execute(
                _MARK_ANSWERED,
                [{"delivery_id": id_, "items": items} for id_, items in self._answered.items()],
            )
        self._new_answers, self._answered = [], {}
        if self._new_themes:
            self._resolve_new_themes()

    def _resolve_new_themes(self) -> None:
        """The ids of the answers just inserted with a themed comment (one read)."""
        a = ANSWERS.c
        wanted = dict(self._new_themes)
        rows = self.connection.execute(
            select(a.id, a.occurrence_id, a.question_id, a.respondent_key).where(
                tuple_(a.occurrence_id, a.question_id, a.respondent_key).in_(list(wanted))
            )
        )
        for answer_id, *key in rows:
            self.themes[int(answer_id)] = wanted[tuple(key)]
        self._new_themes = []

    def store_themes(self, core: Answering) -> None:
        """Write the themes of the group's comments, in the group's transaction."""
        if self.themes or self.replacing:
            theme_writes.store(self.connection, core.vault, self.themes, replacing=self.replacing)


def write_unlinked(
    core: Answering, rows: list[dict[str, Any]], themes: list[tuple[str, ...]] | None = None
) -> None:
    """Anonymous answers, after their deliveries were marked and committed: in a transaction
    of their own, shuffled, each with a random id, with their comments' themes (``themes``,
    in the order of ``rows``). A random id that is already taken (one in four billion per
    answer) is drawn again."""
    pairs = list(zip(rows, themes or [()] * len(rows), strict=True))
    random.SystemRandom().shuffle(pairs)
    for _ in range(3):
        numbered = [({**row, "id": _random_id()}, found) for row, found in pairs]
        try:
            with write_gate(core.engine), core.engine.begin() as connection:
                connection.execute(_INSERT_ANSWER, [row for row, _ in numbered])
                found_by_id = {row["id"]: found for row, found in numbered if found}
                if found_by_id:
                    theme_writes.store(connection, core.vault, found_by_id)
            return
        except IntegrityError:
            continue
    raise RuntimeError("anonymous answers could not be given unused ids")


def _random_id() -> int:
    return secrets.randbelow(RANDOM_ID_RANGE) + 1
