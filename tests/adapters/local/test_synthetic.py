"""The simulated people's answers land on the storyline's level, and their answer moments
fall inside their own working hours."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.local.answer_time import REMINDER_SHARE, answer_moment, answer_share
from adapters.local.storyline import normal
from adapters.local.synthetic import enps_values, figure_of, scale_values, yes_values
from surveys.cadence import WorkCalendar, timing_for
from surveys.program import Program
from surveys.program_file import load_program
from tests.factories import EXAMPLE_PROGRAM

ZONES = ("America/New_York", "America/Los_Angeles", "America/Chicago", "Europe/London")


def _stances(n: int, salt: str) -> list[float]:
    return [normal("test stance", salt, str(i)) for i in range(n)]


@pytest.mark.parametrize("n", [5, 6, 8, 14, 28])
@pytest.mark.parametrize("mean", [2.4, 3.3, 3.85, 4.2, 4.6])
def test_an_askings_scores_average_the_level_within_half_a_point_per_person(
    n: int, mean: float
) -> None:
    stances = _stances(n, f"{n}-{mean}")
    values = scale_values(mean, stances)
    assert all(1 <= v <= 5 for v in values)
    assert abs(sum(values) / n - mean) <= 0.5 / n + 1e-9
    assert len(set(values)) > 1  # people differ
    ranked = sorted(range(n), key=lambda i: stances[i])
    assert all(values[a] <= values[b] for a, b in itertools.pairwise(ranked))


def test_the_share_of_yes_drifts_from_the_asking_before() -> None:
    stances = _stances(10, "yes")
    assert sum(yes_values(0.6, stances)) == 6
    assert sum(yes_values(0.9, stances, previous=0.4)) == 5  # 15 points at most
    assert sum(yes_values(0.1, stances, previous=0.4)) == 3
    small = _stances(5, "small")
    assert sum(yes_values(0.9, small, previous=0.4)) == 3  # one person is 20 points
    top = sorted(range(10), key=lambda i: -stances[i])[:6]
    chosen = yes_values(0.6, stances)
    assert all(chosen[i] for i in top)  # the keenest say yes


@pytest.mark.parametrize("n", [6, 8, 20])
@pytest.mark.parametrize("score", [-10.0, 12.0, 30.0])
def test_enps_lands_near_the_level_and_moves_little(n: int, score: float) -> None:
    stances = _stances(n, f"enps-{n}-{score}")
    values = [str(v) for v in enps_values(score, stances)]
    assert all(0 <= int(v) <= 10 for v in values)
    figure = figure_of("enps", values)
    assert figure is not None and abs(figure - score) <= 150 / n
    moved = figure_of("enps", [str(v) for v in enps_values(score + 60, stances, figure)])
    assert moved is not None and moved - figure <= 15 + 150 / n


@pytest.fixture(scope="module")
def program() -> Program:
    return load_program(EXAMPLE_PROGRAM)


def test_answer_moments_fall_in_working_hours_mostly_soon_some_after_the_reminder(
    program: Program,
) -> None:
    schedules = [q.schedule for w in program.workstreams for q in w.questions]
    kinds = Counter[str]()
    first = date(2026, 12, 14)  # across Christmas Eve, Christmas and New Year's Day
    for zone in ZONES:
        work = WorkCalendar.for_person(program, zone)
        for offset in range(0, 28):
            day = first + timedelta(days=offset)
            for index, schedule in enumerate(schedules):
                timing = timing_for(schedule, day, work)
                if timing is None:
                    continue
                share = answer_share(zone, day.isoformat(), str(index))
                moment = answer_moment(work, timing.due_at, timing.expires_at, share)
                assert moment is not None
                assert work.in_hours(moment), (zone, day, schedule, moment)
                assert timing.due_at < moment < timing.expires_at
                assert work.local_date(moment) not in program.holiday_dates
                if timing.remind_at is not None and moment > timing.remind_at:
                    kinds["after the reminder"] += 1
                elif moment - timing.due_at <= timedelta(hours=2):
                    kinds["soon"] += 1
                else:
                    kinds["later"] += 1
    total = sum(kinds.values())
    assert kinds["soon"] / total > 0.55
    assert 0.05 < kinds["after the reminder"] / total < 0.2
    assert REMINDER_SHARE == 0.5  # the reminder point the engine uses (working midpoint)


def test_no_answer_without_working_time_left(program: Program) -> None:
    work = WorkCalendar.for_person(program, "America/New_York")
    friday_evening = datetime(2026, 12, 4, 22, 30, tzinfo=UTC)  # 17:30 in New York
    assert answer_moment(work, friday_evening, friday_evening + timedelta(hours=12), 0.5) is None
