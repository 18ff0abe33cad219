"""Anonymous means unlinkable, also for whoever reads the database: no identifier, no time finer
than the asking's date, ids not in click order, comments sealed without a time, one comment per
person and asking, and the answer written in another transaction than its delivery's mark."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import event, text
from sqlmodel import select

from bot.app import LearnPulse
from bot.events import AnswerGiven, CommentGiven
from bot.ports import Member
from storage.crypto import SEALED_PREFIX
from storage.tables import COMMENT_MARK, Answer, Delivery
from surveys import answers
from surveys.answer_rules import ANONYMOUS_COMMENT_ONCE
from tests.fakes import FakeChat
from tests.surveys.engine_support import make_core, program_text, question, run

MONDAY_10AM_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
PEOPLE = [Member(f"slack:UANON{i:05d}", timezone="America/New_York") for i in range(8)]
QUESTION = "lms-confidence"


def _anonymous(database_url: str, tmp_path: Path) -> tuple[LearnPulse, FakeChat]:
    program = program_text([question(QUESTION, "weekly", "mon", "10:00", key=True)],
                           mode="anonymous")  # fmt: skip
    core, chat, _clock = make_core(database_url, tmp_path, program, MONDAY_10AM_NY, PEOPLE)
    run(core)
    return core, chat


def test_answers_carry_no_identifier_no_time_and_no_click_order(
    database_url: str, tmp_path: Path
) -> None:
    core, chat = _anonymous(database_url, tmp_path)
    clicked: list[int] = []
    for member in PEOPLE:  # one after another, each in its own transaction
        delivery = chat.prompts[member.person][0].delivery_id
        [outcome] = answers.record_all(core, [AnswerGiven(member.person, delivery, QUESTION, "4")])
        assert outcome.accepted
        with core.session() as session:
            stored = {a.id for a in session.exec(select(Answer)).all() if a.id is not None}
        newest = stored - set(clicked)
        clicked.extend(newest)
    with core.session() as session:
        rows = session.exec(select(Answer)).all()
    assert {(a.respondent_key, a.answered_on) for a in rows} == {(None, date(2026, 11, 30))}
    assert all(answer_id >= 2**32 for answer_id in clicked)  # random, not a counter
    assert clicked != sorted(clicked)  # the table's order is not the order of the clicks


def test_one_comment_per_person_and_asking_sealed_without_a_time(
    database_url: str, tmp_path: Path
) -> None:
    core, chat = _anonymous(database_url, tmp_path)
    person = PEOPLE[0].person
    delivery = chat.prompts[person][0].delivery_id
    refused = answers.record_all(core, [CommentGiven(person, delivery, QUESTION, "Before")])
    assert "Answer the question first" in str(refused[0].message)
    outcomes = answers.record_all(
        core,
        [
            AnswerGiven(person, delivery, QUESTION, "2"),
            CommentGiven(person, delivery, QUESTION, "The platform keeps logging me out."),
            CommentGiven(person, delivery, QUESTION, "And a fifth voice of mine."),
        ],
    )
    assert [o.accepted for o in outcomes] == [True, True, False]
    assert outcomes[2].message == ANONYMOUS_COMMENT_ONCE
    with core.session() as session:
        comments = [a.comment for a in session.exec(select(Answer)) if a.comment]
        marked = session.get(Delivery, delivery)
    assert len(comments) == 1
    [sealed] = comments
    assert sealed.startswith(SEALED_PREFIX) and not sealed.startswith("gAAAAA")
    raw = base64.urlsafe_b64decode(sealed[len(SEALED_PREFIX) :])
    assert len(raw) == 12 + len(b"The platform keeps logging me out.") + 16  # no timestamp
    assert marked is not None and COMMENT_MARK + QUESTION in marked.answered_items


def test_the_answer_and_its_mark_are_not_one_transaction(database_url: str, tmp_path: Path) -> None:
    core, chat = _anonymous(database_url, tmp_path)
    person = PEOPLE[0].person
    delivery = chat.prompts[person][0].delivery_id
    transactions: list[str] = []

    event.listen(core.engine, "commit", lambda _c: transactions.append("commit"))
    answers.record_all(core, [AnswerGiven(person, delivery, QUESTION, "5")])
    assert len(transactions) == 2  # the mark, then the answer
    if core.engine.dialect.name == "postgresql":
        with core.engine.connect() as connection:
            answer_xmin = connection.execute(text("SELECT xmin::text FROM answer")).scalar_one()
            mark_xmin = connection.execute(
                text("SELECT xmin::text FROM delivery WHERE id = :id"), {"id": delivery}
            ).scalar_one()
        assert answer_xmin != mark_xmin
