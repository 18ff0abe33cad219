"""Each person's latest answer per question and period, counted in one call over workstreams
and periods where some questions were asked twice in a period and others once: the groups
answered in one asking are counted as they are, the others over each person's latest answer,
and neither is lost nor counted twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from bot.app import LearnPulse
from storage.tables import Answer, table_of
from surveys.periods import Period
from surveys.segment_tallies import count_segments
from surveys.tallies import tally
from tests.bot.test_report_support import answers

KEY = "respect-treated-with-respect"
CHOICE = "respect-training-in-use"
OTHER = "security-spot-phishing"
EARLIER = Period(date(2026, 11, 14), date(2026, 11, 20))
LATER = Period(date(2026, 11, 21), date(2026, 11, 27))
SPEAKING, NOT_YET = "Speaking up in the moment", "I haven't used it yet"
PEOPLE = [f"slack:U0LATEST{i:04d}" for i in range(6)]


def seed(core: LearnPulse) -> None:
    # respect, later week: asked Tuesday and again Thursday; two people changed 4 -> 2
    answers(core, "respect", KEY, date(2026, 11, 24), ["4"] * 6, people=PEOPLE, pilot=2)
    answers(core, "respect", KEY, date(2026, 11, 26), ["2", "2", "4", "4", "4", "4"],
            people=PEOPLE, pilot=2)  # fmt: skip
    # the same people once in the earlier week: nothing to drop there
    answers(core, "respect", KEY, date(2026, 11, 17), ["5", "5", "5", "1", "1", "1"],
            people=PEOPLE)  # fmt: skip
    # a choice asked twice in the later week: three people change their answer
    answers(core, "respect", CHOICE, date(2026, 11, 23), [SPEAKING] * 5, people=PEOPLE[:5],
            scores=[None] * 5)  # fmt: skip
    answers(core, "respect", CHOICE, date(2026, 11, 25), [NOT_YET] * 3, people=PEOPLE[:3],
            scores=[None] * 3)  # fmt: skip
    # another workstream, one asking in the later week, the same people
    answers(core, "security", OTHER, date(2026, 11, 24), ["3", "3", "5", "5", "5", "5"],
            people=PEOPLE)  # fmt: skip


def test_latest_answers_count_once_beside_questions_asked_once(core: LearnPulse) -> None:
    seed(core)
    with core.session() as session:
        counted = tally(session, ["respect", "security"], [EARLIER, LATER], [CHOICE])
    earlier, later = counted["respect"]
    key = later.questions[KEY]
    assert (key.people, key.answers) == (6, 6)
    assert dict(key.scores) == {2.0: 2, 4.0: 4}
    assert (key.pilot_people, dict(key.pilot_scores)) == (2, {2.0: 2})
    assert dict(earlier.questions[KEY].scores) == {5.0: 3, 1.0: 3}
    assert dict(later.questions[CHOICE].choices) == {NOT_YET: 3, SPEAKING: 2}
    other = counted["security"][1].questions[OTHER]
    assert (other.people, dict(other.scores)) == (6, {3.0: 2, 5.0: 4})
    assert counted["security"][0].questions == {}


def test_segments_keep_the_latest_answer_of_a_question_asked_twice(core: LearnPulse) -> None:
    seed(core)
    answer = table_of(Answer)
    with core.engine.begin() as connection:  # everyone in one segment, as assignment would
        connection.execute(update(answer).values(segment_id=7))
    with core.session() as session:
        raw = count_segments(session, ["respect", "security"], [EARLIER, LATER], [KEY, OTHER])
    assert raw[("respect", 1, KEY)] == {(7, True): {2.0: 2}, (7, False): {4.0: 4}}
    assert raw[("respect", 0, KEY)] == {(7, False): {5.0: 3, 1.0: 3}}
    assert raw[("security", 1, OTHER)] == {(7, False): {3.0: 2, 5.0: 4}}
    assert set(raw) == {("respect", 1, KEY), ("respect", 0, KEY), ("security", 1, OTHER)}
