"""Clicks that arrive together are written together, and each still gets its own outcome."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlmodel import select

from bot.events import AnswerGiven, CommentGiven
from bot.ports import Member
from bot.recording import AnswerRecorder
from storage.tables import Answer
from surveys import answers
from surveys.answer_rules import NOT_YOURS
from tests.fakes import FakeChat
from tests.surveys.engine_support import make_core, program_text, question, run

MONDAY_10AM_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
PEOPLE = [Member(f"slack:UCLICK{i:04d}", timezone="America/New_York") for i in range(12)]
QUESTION = "lms-confidence"


def _sent(database_url: str, tmp_path: Path) -> tuple[Any, FakeChat]:
    text = program_text([question(QUESTION, "weekly", "mon", "10:00", key=True)])
    core, chat, _clock = make_core(database_url, tmp_path, text, MONDAY_10AM_NY, PEOPLE)
    run(core)
    assert all(len(chat.prompts[p.person]) == 1 for p in PEOPLE)
    return core, chat


def _click(chat: FakeChat, person: str, value: str, *, by: str | None = None) -> AnswerGiven:
    return AnswerGiven(by or person, chat.prompts[person][0].delivery_id, QUESTION, value)


def _stored(core: Any) -> list[str]:
    with core.session() as session:
        return sorted(a.value for a in session.exec(select(Answer)).all())


def test_a_burst_is_written_in_few_transactions_and_every_click_gets_its_own_outcome(
    database_url: str, tmp_path: Path
) -> None:
    core, chat = _sent(database_url, tmp_path)
    commits: list[int] = []
    event.listen(core.engine, "commit", lambda _connection: commits.append(1))
    recorder = AnswerRecorder(core)
    good = [_click(chat, p.person, "4") for p in PEOPLE[:10]]
    out_of_range = _click(chat, PEOPLE[10].person, "9")
    someone_elses = _click(chat, PEOPLE[11].person, "3", by=PEOPLE[0].person)
    double = _click(chat, PEOPLE[0].person, "4")  # the same click again, in the same burst

    async def burst() -> list[Any]:
        clicks = [*good, out_of_range, someone_elses, double]
        return list(await asyncio.gather(*(recorder.record(c) for c in clicks)))

    outcomes = asyncio.run(burst())

    assert [o.accepted for o in outcomes[:10]] == [True] * 10
    assert [o.prompt.items[0].recorded for o in outcomes[:10] if o.prompt] == ["4 · High"] * 10
    assert outcomes[10].accepted is False and "1" in str(outcomes[10].message)
    assert (outcomes[11].accepted, outcomes[11].message) == (False, NOT_YOURS)
    assert outcomes[12].accepted is True and outcomes[12].message is None
    assert _stored(core) == ["4"] * 10  # the refused clicks spoiled nothing, the double is one
    # The first click is written at once; the rest waited and went in together.
    assert 1 <= len(commits) <= 2


def test_when_the_database_fails_every_click_of_the_group_hears_it_and_nothing_is_lost_later(
    database_url: str, tmp_path: Path
) -> None:
    core, chat = _sent(database_url, tmp_path)
    recorder = AnswerRecorder(core)
    working = core.engine
    core.engine = create_engine("sqlite:////proc/no-such-dir/learnpulse.db")

    async def burst(values: list[str]) -> list[Any]:
        clicks = [_click(chat, p.person, v) for p, v in zip(PEOPLE, values, strict=False)]
        return list(
            await asyncio.gather(*(recorder.record(c) for c in clicks), return_exceptions=True)
        )

    failed = asyncio.run(burst(["2", "3", "4"]))
    assert [type(f).__name__ for f in failed] == ["OperationalError"] * 3
    core.engine = working
    recorded = asyncio.run(burst(["2", "3", "4"]))
    assert [o.accepted for o in recorded] == [True, True, True]
    assert _stored(core) == ["2", "3", "4"]


def test_clicks_on_one_prompt_in_one_group_see_each_other_in_order(
    database_url: str, tmp_path: Path
) -> None:
    core, chat = _sent(database_url, tmp_path)
    first, second = PEOPLE[0].person, PEOPLE[1].person
    delivery = chat.prompts[first][0].delivery_id
    group: list[AnswerGiven | CommentGiven] = [
        AnswerGiven(first, delivery, QUESTION, "4"),
        AnswerGiven(second, chat.prompts[second][0].delivery_id, QUESTION, "5"),
        AnswerGiven(first, delivery, QUESTION, "2"),  # changed, in the same group
        CommentGiven(first, delivery, QUESTION, "More time to practise, please."),
    ]
    outcomes = answers.record_all(core, group)
    assert [o.accepted for o in outcomes] == [True, True, True, True]
    with core.session() as session:
        stored = {a.value: a for a in session.exec(select(Answer)).all()}
    assert sorted(stored) == ["2", "5"]
    assert stored["2"].comment is not None
    assert core.vault.decrypt(stored["2"].comment) == "More time to practise, please."
    # Every outcome of the prompt shows where it ended: the changed answer, with its comment.
    last = outcomes[3].prompt
    assert last is not None and last.items[0].recorded_comment is True
    assert str(last.items[0].recorded).startswith("2")


def test_an_anonymous_answer_cannot_be_changed_within_one_group_either(
    database_url: str, tmp_path: Path
) -> None:
    text = program_text([question(QUESTION, "weekly", "mon", "10:00", key=True)], mode="anonymous")
    core, chat, _clock = make_core(database_url, tmp_path, text, MONDAY_10AM_NY, PEOPLE[:1])
    run(core)
    person = PEOPLE[0].person
    delivery = chat.prompts[person][0].delivery_id
    outcomes = answers.record_all(
        core,
        [
            AnswerGiven(person, delivery, QUESTION, "3"),
            AnswerGiven(person, delivery, QUESTION, "5"),
        ],
    )
    assert outcomes[0].message is None
    assert "cannot be changed" in str(outcomes[1].message)
    with core.session() as session:
        assert [(a.value, a.respondent_key) for a in session.exec(select(Answer))] == [("3", None)]


def test_a_groups_writes_are_sent_as_one_batch_per_kind(database_url: str, tmp_path: Path) -> None:
    core, chat = _sent(database_url, tmp_path)
    statements: list[tuple[str, bool]] = []

    def seen(_conn: Any, _cursor: Any, sql: str, _params: Any, _context: Any, many: bool) -> None:
        statements.append((sql.split()[0].upper(), many))

    event.listen(core.engine, "before_cursor_execute", seen)
    outcomes = answers.record_all(core, [_click(chat, p.person, "4") for p in PEOPLE])
    assert all(o.accepted for o in outcomes)
    assert _stored(core) == ["4"] * len(PEOPLE)
    writes = [(verb, many) for verb, many in statements if verb in ("INSERT", "UPDATE")]
    # Twelve new answers and twelve answered deliveries: one batch each, not one per click.
    assert sorted(writes) == [("INSERT", True), ("UPDATE", True)]
