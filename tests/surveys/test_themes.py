"""Comment themes: found when a comment is stored (real clicks, real database), counted by
distinct people, shown only from min_comments people, merged by synonyms, marked rising or
falling, removed by erase, and the same in the digest and the review."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, insert
from sqlmodel import select

from adapters.local.codec import report_to_json
from adapters.slack.render import report_blocks
from adapters.teams.render import report_card
from bench.theme_extraction import measure
from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.events import AnswerGiven, CommentGiven
from bot.ports import Member
from storage.crypto import Vault
from storage.db import make_engine
from storage.tables import Answer, AnswerTheme, Theme
from surveys import answers, mydata, theme_writes
from surveys.digest import Digest, build_digests, current_period
from surveys.program import ThemeRules
from surveys.program_file import ProgramError, parse_program
from surveys.review import build_review
from surveys.review import current_period as review_period
from surveys.review_render import as_html, as_report
from surveys.sentiment import polarity
from surveys.theme_section import FALLING, RISING
from surveys.theme_writes import ANSWER_THEMES, DIGEST_KIND, THEMES, store
from surveys.themes import extract
from tests.bot.test_report_support import answers as answers_of
from tests.bot.test_report_support import text_of
from tests.fakes import FakeChat
from tests.surveys.engine_support import make_core, program_text, question, run

MONDAY_10AM_NY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
PEOPLE = [Member(f"slack:UTHEME{i:04d}", timezone="America/New_York") for i in range(12)]
QUESTION = "lms-confidence"
LAST_MONDAY = date(2026, 11, 23)
SYNONYMS = '\nthemes: {synonyms: {"learning platform": lms}, ignore: [coffee]}\nworkstreams:'


def _core(
    database_url: str, tmp_path: Path, mode: str = "confidential", cadence: str = "weekly"
) -> tuple[LearnPulse, FakeChat, ManualClock]:
    on = "mon" if cadence == "weekly" else None
    text = program_text([question(QUESTION, cadence, on, "10:00", key=True)], mode=mode)
    text = text.replace("\nworkstreams:", SYNONYMS, 1)
    core, chat, clock = make_core(database_url, tmp_path, text, MONDAY_10AM_NY, PEOPLE)
    run(core)
    return core, chat, clock


def _say(core: LearnPulse, chat: FakeChat, people: range | list[int], comment: str) -> None:
    """Each of ``people`` answers their latest prompt with ``comment``."""
    events: list[AnswerGiven | CommentGiven] = []
    for i in people:
        person = PEOPLE[i].person
        delivery = max(p.delivery_id for p in chat.prompts[person])
        events.append(AnswerGiven(person, delivery, QUESTION, "4"))
        events.append(CommentGiven(person, delivery, QUESTION, comment))
    outcomes = answers.record_all(core, events)
    assert all(o.accepted for o in outcomes), [o.message for o in outcomes]


def _digest(core: LearnPulse) -> Digest:
    ws = core.require_program().workstream("lms")
    assert ws is not None
    [built] = build_digests(core, [(ws, current_period(core, ws))], chart=False)
    return built


def _themes(built: Digest) -> list[str]:
    for section in built.report.sections:
        if section.heading == "Themes":
            return list(section.lines)
    return []


def test_extraction_normalizes_merges_and_drops_stop_phrases() -> None:
    rules = ThemeRules(synonyms={"learning platform": "LMS"}, ignore=["coffee"])
    assert extract("The learning platform is slow; the LMS is down.", rules) == ("lms",)
    assert extract("My mentoring sessions with mentors were great", rules) == (
        "mentoring session",
        "mentor",
    )
    assert extract("I want more mentoring", rules) == ("mentoring",)
    assert extract("Nothing this week, lots of time for learning and coffee", rules) == ()
    assert extract("Thanks <@U0SOMEONE1> for the code review workshops") == (
        "code review workshop",
    )


def test_themes_in_the_program_file_are_checked_by_line() -> None:
    text = program_text([question(QUESTION, "weekly", "mon", "10:00", key=True)])
    bad = (
        '\nthemes:\n  synonyms: {lms: platform, "learning platform": lms}\n'
        '  ignore: [lms, " "]\nworkstreams:'
    )
    with pytest.raises(ProgramError) as refused:
        parse_program(text.replace("\nworkstreams:", bad, 1), "program.yaml")
    problems = "\n".join(refused.value.problems)
    assert "program.yaml:10: themes.synonyms: 'learning platform' maps to 'lms'" in problems
    assert "program.yaml:10: themes.synonyms: 'lms' is also in themes.ignore" in problems
    assert "program.yaml:11: themes.ignore: an empty phrase" in problems
    good = parse_program(text.replace("\nworkstreams:", SYNONYMS, 1))
    assert good.themes.synonyms == {"learning platform": "lms"}


def test_one_person_writing_five_times_never_surfaces_a_theme(
    database_url: str, tmp_path: Path
) -> None:
    core, chat, _ = _core(database_url, tmp_path)
    for n in range(5):  # one person, five comments about mentoring
        _say(core, chat, [0], "More mentoring please" + "!" * n)
    _say(core, chat, range(1, 4), "Mentoring is what I need")  # four people in all
    built = _digest(core)
    assert _themes(built) == []
    assert "mentoring" not in text_of(built.report).lower()
    _say(core, chat, [4], "Some mentoring would help")  # the fifth person
    lines = _themes(_digest(core))
    [line] = lines
    assert line.startswith("mentoring: 5 people, sentiment ")
    assert " — “" in line and "mentoring" in line.split(" — “", 1)[1].lower()


def test_synonyms_merge_and_each_person_counts_once(database_url: str, tmp_path: Path) -> None:
    core, chat, _ = _core(database_url, tmp_path)
    _say(core, chat, range(0, 3), "The learning platform is slow")
    _say(core, chat, range(3, 5), "The LMS is great")
    [line] = _themes(_digest(core))
    assert line.startswith("lms: 5 people, sentiment ")
    quote = line.split(" — ", 1)[1]
    with core.session() as session:
        assert len(session.exec(select(Theme)).all()) == 1
        sealed = session.exec(select(Theme)).one().label
    assert "lms" not in sealed  # the label is encrypted at rest
    assert quote.startswith("“The ")


def test_erase_removes_the_themes_of_that_person(database_url: str, tmp_path: Path) -> None:
    core, chat, _ = _core(database_url, tmp_path)
    _say(core, chat, [0], "The pairing rotation is unfair")
    _say(core, chat, range(1, 5), "Good onboarding docs")
    with core.session() as session:
        assert len(session.exec(select(AnswerTheme)).all()) == 5
        assert len(session.exec(select(Theme)).all()) == 2
    mydata.erase(core, PEOPLE[0].person)
    with core.session() as session:
        assert len(session.exec(select(AnswerTheme)).all()) == 4
        [left] = session.exec(select(Theme)).all()
    assert core.vault.decrypt(left.label) == "onboarding doc"  # theirs alone is gone


def test_anonymous_mode_counts_people_by_asking(database_url: str, tmp_path: Path) -> None:
    core, chat, clock = _core(database_url, tmp_path, mode="anonymous", cadence="daily")
    for day in range(4):  # one person, Monday to Thursday, plus three others once
        _say(core, chat, [0], "Mentoring matters")
        if day == 0:
            _say(core, chat, range(1, 4), "Mentoring matters to me")
        clock.advance(timedelta(days=1))
        run(core)
    assert _themes(_digest(core)) == []  # four people at most in any asking
    _say(core, chat, range(1, 6), "Mentoring again")  # Friday: five people in one asking
    [line] = _themes(_digest(core))
    assert line.startswith("mentoring: 5 people")


def _last_week(core: LearnPulse, comment: str, people: int) -> None:
    """``people`` comments of the week before, stored as a click stores them."""
    tone = polarity(comment)
    occurrence = answers_of(core, "lms", QUESTION, LAST_MONDAY, ["4"] * people,
                            comments=[comment] * people, sentiments=[tone] * people)  # fmt: skip
    with core.engine.begin() as connection:
        ids = connection.execute(
            select(Answer.id).where(Answer.occurrence_id == occurrence)
        ).scalars()
        store(connection, core.vault, {int(i): extract(comment) for i in ids})


def test_rising_and_falling_themes_are_marked(database_url: str, tmp_path: Path) -> None:
    core, chat, _ = _core(database_url, tmp_path)
    _last_week(core, "Code review is slow", 5)
    _last_week(core, "Pair programming helps", 7)
    _last_week(core, "Onboarding docs are fine", 4)  # too few last week: no mark
    _say(core, chat, range(0, 7), "Code review is slow")
    _say(core, chat, range(7, 12), "Pair programming helps")
    lines = [line.split(" — ", 1)[0] for line in _themes(_digest(core))]
    assert lines == [
        f"code review {RISING}: 7 people, sentiment -0.30",
        f"pair programming {FALLING}: 5 people, sentiment +0.00",
    ]
    # Slack, Teams and the playground render the same section: every line reaches the reader.
    report = _digest(core).report
    rendered = [
        json.dumps(report_blocks(report), ensure_ascii=False),
        json.dumps(report_card(report), ensure_ascii=False),
        json.dumps(report_to_json(report), ensure_ascii=False),
    ]
    for line in lines:
        assert all(line in each for each in rendered), line


def test_digest_and_review_show_the_same_themes(database_url: str, tmp_path: Path) -> None:
    core, chat, _ = _core(database_url, tmp_path)
    _say(core, chat, range(0, 6), "The learning platform is slow")
    _say(core, chat, range(6, 8), "Mentoring helps")
    digest_lines = _themes(_digest(core))
    review = build_review(core, review_period(core))
    [ws] = review.workstreams
    report = as_report(review)
    [section] = [s for s in report.sections if s.heading.startswith(ws.name)]
    shown = [value for label, value in section.fields if label == "Theme"]
    assert shown == digest_lines  # each theme with its quote, in both
    assert digest_lines[0].startswith("lms: 6 people")
    assert "mentoring" not in text_of(report).lower()
    assert "lms: 6 people" in as_html(review, "now") and ws.themes[0].label == "lms"


def test_the_extraction_benchmark_runs(database_url: str) -> None:
    """A smoke test of ``bench/theme_extraction.py``: its figures are the benchmark's to judge."""
    figures = measure(database_url, make_engine(database_url), 30)
    assert figures.comments == 30 and figures.themes > 10
    assert 0 < figures.extract_ms <= figures.added_ms


def test_a_theme_inserted_by_another_transaction_meanwhile_is_still_linked(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the one-statement write cannot see a theme another transaction inserts
    while it runs; the links are then made the long way, none lost."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the one-statement write is PostgreSQL's")
    vault = Vault("theme-race")
    long_way: list[int] = []
    read_ids = theme_writes._ids

    def counted_ids(connection: Connection, digests: Iterable[str]) -> dict[str, int]:
        long_way.append(1)
        return read_ids(connection, digests)

    monkeypatch.setattr(theme_writes, "_ids", counted_ids)
    with engine.connect() as other:
        pending = other.begin()
        other.execute(
            insert(THEMES),
            {"digest": vault.digest(DIGEST_KIND, "mentoring"), "label": vault.encrypt("mentoring")},
        )

        def store_the_same_theme() -> None:
            with engine.begin() as connection:
                store(connection, vault, {7: ("mentoring", "code review")})

        racing = threading.Thread(target=store_the_same_theme)
        racing.start()
        time.sleep(0.5)  # it waits on our uncommitted row
        pending.commit()
        racing.join(timeout=20)
    with engine.connect() as connection:
        links = connection.execute(select(ANSWER_THEMES.c.theme_id)).scalars().all()
        themes = connection.execute(select(THEMES.c.id)).scalars().all()
    assert sorted(links) == sorted(themes) and len(themes) == 2
    assert long_way  # the one statement missed the other's theme, and said so
