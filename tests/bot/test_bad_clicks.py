"""One bad click in a group written together spoils nothing: it alone is refused, the rest are
stored. The group goes through the recorder (``bot.recording``) as a burst does in production."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.events import AnswerGiven, CommentGiven
from bot.ports import Member
from bot.recording import AnswerRecorder
from storage.tables import Answer
from surveys import answers, sentiment
from surveys.answers import NOT_RECORDED, AnswerOutcome
from tests.fakes import FakeChat
from tests.surveys.engine_support import make_core, program_text, question, run

MONDAY_10AM_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
PEOPLE = [Member(f"slack:UBAD{i:06d}", timezone="America/New_York") for i in range(40)]
QUESTION = "lms-confidence"
# None is a button we send. The first four pass a digit test such as
# ``value.lstrip("-").isdigit()``, and then ``int()`` raises on them or reads a digit that is not
# ASCII; the 5,000 digits are past what ``int()`` converts.
MALFORMED = ["--3", "²", "٣", "9" * 5000, "+4", "4.0", "", " "]
POISONED_COMMENT = "this comment breaks the sentiment model"


def _sent(database_url: str, tmp_path: Path) -> tuple[Any, FakeChat]:
    text = program_text([question(QUESTION, "weekly", "mon", "10:00", key=True)])
    core, chat, _clock = make_core(database_url, tmp_path, text, MONDAY_10AM_NY, PEOPLE)
    run(core)
    assert all(len(chat.prompts[p.person]) == 1 for p in PEOPLE)
    return core, chat


def _delivery(chat: FakeChat, person: Member) -> int:
    return chat.prompts[person.person][0].delivery_id


def _stored(core: Any) -> list[str]:
    with core.session() as session:
        return sorted(a.value for a in session.exec(select(Answer)).all())


def _burst(core: Any, clicks: Sequence[AnswerGiven | CommentGiven]) -> list[AnswerOutcome]:
    recorder = AnswerRecorder(core)

    async def together() -> list[AnswerOutcome]:
        return list(await asyncio.gather(*(recorder.record(click) for click in clicks)))

    return asyncio.run(together())


def test_malformed_values_are_refused_alone_and_the_rest_of_the_group_is_stored(
    database_url: str, tmp_path: Path
) -> None:
    core, chat = _sent(database_url, tmp_path)
    bad_people, good_people = PEOPLE[: len(MALFORMED)], PEOPLE[len(MALFORMED) :]
    bad = [
        AnswerGiven(p.person, _delivery(chat, p), QUESTION, value)
        for p, value in zip(bad_people, MALFORMED, strict=True)
    ]
    good = [AnswerGiven(p.person, _delivery(chat, p), QUESTION, "4") for p in good_people]
    clicks = [*good[:10], *bad, *good[10:]]

    outcomes = _burst(core, clicks)

    by_value = {click.value: o for click, o in zip(clicks, outcomes, strict=True)}
    for value in MALFORMED:
        refused = by_value[value]
        assert refused.accepted is False, value
        assert "pick a number from 1 to 5" in str(refused.message), value
        assert len(str(refused.message)) < 100  # the value is not echoed back in full
    assert [o.accepted for click, o in zip(clicks, outcomes, strict=True) if click in good] == [
        True
    ] * len(good)
    assert _stored(core) == ["4"] * len(good)


def test_a_click_that_fails_while_handled_fails_alone(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core, chat = _sent(database_url, tmp_path)
    real_polarity = sentiment.polarity

    def polarity(text: str) -> float:
        if text == POISONED_COMMENT:
            raise RuntimeError(f"the model choked on {text!r}")
        return real_polarity(text)

    monkeypatch.setattr(sentiment, "polarity", polarity)
    first, poisoned, *rest = PEOPLE
    clicks: list[AnswerGiven | CommentGiven] = [
        AnswerGiven(first.person, _delivery(chat, first), QUESTION, "2"),
        AnswerGiven(
            poisoned.person, _delivery(chat, poisoned), QUESTION, "5", comment=POISONED_COMMENT
        ),
        *(AnswerGiven(p.person, _delivery(chat, p), QUESTION, "3") for p in rest),
        # the first person changes their answer later in the same group, and comments on it
        AnswerGiven(first.person, _delivery(chat, first), QUESTION, "4"),
        CommentGiven(first.person, _delivery(chat, first), QUESTION, "More practice time."),
    ]
    commits: list[int] = []
    event.listen(core.engine, "commit", lambda _connection: commits.append(1))

    with caplog.at_level(logging.ERROR, logger="learnpulse.answers"):
        outcomes = answers.record_all(core, clicks)

    assert (outcomes[1].accepted, outcomes[1].message) == (False, NOT_RECORDED)
    assert all(o.accepted for i, o in enumerate(outcomes) if i != 1)
    assert _stored(core) == sorted(["4"] + ["3"] * len(rest))  # in order: 2 became 4
    with core.session() as session:
        commented = session.exec(select(Answer).where(Answer.value == "4")).one()
        assert commented.comment is not None
        assert core.vault.decrypt(commented.comment) == "More practice time."
    # The log names the kind of failure, never what was written.
    assert "RuntimeError" in caplog.text and POISONED_COMMENT not in caplog.text
    # Found by halving the group, not by writing every click alone.
    assert len(commits) < len(clicks) // 2
    # The metric counts what was committed: every stored answer once, the change too.
    counted = core.metrics.registry.get_sample_value("learnpulse_answers_total")
    assert counted == len(rest) + 2
