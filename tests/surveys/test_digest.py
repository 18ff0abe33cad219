"""Digests: figures, distributions, eNPS, comments, and the anonymity thresholds."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app import LearnPulse
from storage.tables import PostedDigest
from surveys.digest import Digest, build_digests, scheduled_period
from surveys.periods import Period
from tests.bot.test_report_support import answers, audience, deliveries, text_of

KEY = "respect-treated-with-respect"  # scale, weekly, key measure, target 4.3
THIS_WEEK = date(2026, 11, 24)  # inside Sat 21 .. Fri 27 Nov, the period due on Mon 30 Nov
LAST_WEEK = date(2026, 11, 17)


def _digest(core: LearnPulse, workstream: str = "respect", period: Period | None = None) -> Digest:
    ws = core.require_program().workstream(workstream)
    assert ws is not None
    [built] = build_digests(core, [(ws, period or scheduled_period(core, ws))])
    return built


def _section(built: Digest, starts: str) -> tuple[str, dict[str, str]]:
    for section in built.report.sections:
        if section.heading.startswith(starts) or starts in section.heading:
            return "\n".join(section.lines), dict(section.fields)
    raise AssertionError(f"no section {starts!r}")


def test_the_scheduled_period_is_the_week_ending_on_the_digest_day(core: LearnPulse) -> None:
    built = _digest(core)
    assert built.period == Period(date(2026, 11, 21), date(2026, 11, 27))
    assert built.destination == "slack:channel:C0RESPECT1"


def _figures_of(values: list[int]) -> set[str]:
    """Every way a figure of these answers could be written: the mean (to one and two
    decimals, and as a result "m / 5"), each score's share and count, the number of responses."""
    mean = sum(values) / len(values)
    shares = {f"{100 * values.count(v) / len(values):.0f}%" for v in values}
    counts = {f"{v}: {values.count(v)}" for v in values} | {f"({len(values)})"}
    return {f"{mean:.1f}", f"{mean:.2f}", *shares, *counts, f"People: {len(values)}"}


def test_four_answers_show_no_figure_of_theirs(core: LearnPulse) -> None:
    small_group = [5, 5, 4, 1]  # mean 3.75; shares 50% / 25% / 25%
    answers(core, "respect", KEY, THIS_WEEK, [str(v) for v in small_group])
    built = _digest(core)
    lines, fields = _section(built, "Key measure: ")
    assert "Not enough responses yet (5 needed)" in lines
    assert "Result" not in fields
    text = text_of(built.report)
    leaked = {figure for figure in _figures_of(small_group) if figure in text}
    assert leaked == set()
    assert "met ✓" not in text and "met ✗" not in text  # nor whether the target was met
    assert built.report.image_png is None  # no point to draw
    assert KEY not in built.summary["responses"] and KEY not in built.summary["figures"]


def test_five_answers_show_mean_distribution_and_target(core: LearnPulse) -> None:
    answers(core, "respect", KEY, THIS_WEEK, ["5", "5", "4", "4", "2"])
    built = _digest(core)
    lines, fields = _section(built, "Key measure: ")
    assert fields["People"] == "5"
    assert fields["Result"] == "4.0 / 5"
    assert fields["Target"] == "4.3 / 5 — not met ✗"
    assert "1: 0% · 2: 20% · 3: 0% · 4: 40% · 5: 40%" in lines
    assert built.summary["responses"][KEY] == 5


def test_key_measures_come_first(core: LearnPulse) -> None:
    headings = [s.heading for s in _digest(core).report.sections]
    keys = [h.startswith("Key measure: ") for h in headings[:-1]]
    assert keys == sorted(keys, reverse=True)
    assert keys[0] and not keys[-1]
    assert headings[-1] == "Comments"


def test_change_needs_both_periods_above_the_threshold(core: LearnPulse) -> None:
    answers(core, "respect", KEY, THIS_WEEK, ["5", "5", "5", "4", "4"])
    answers(core, "respect", KEY, LAST_WEEK, ["3", "3", "3", "3"])
    _, fields = _section(_digest(core), "Key measure: ")
    assert fields["Change"].startswith("no comparison")
    answers(core, "respect", KEY, LAST_WEEK, ["3"])
    _, fields = _section(_digest(core), "Key measure: ")
    assert fields["Change"] == "▲ +1.6 vs the previous period"


def test_a_pilot_of_six_inside_nine_is_not_broken_out(core: LearnPulse) -> None:
    answers(core, "respect", KEY, THIS_WEEK, ["5"] * 6 + ["1"] * 3, pilot=6)
    built = _digest(core)
    lines, fields = _section(built, "Key measure: ")
    assert fields["People"] == "9"
    assert "Pilot group" not in lines
    assert built.summary["pilot"] == {}


def test_a_pilot_of_five_inside_ten_is_broken_out(core: LearnPulse) -> None:
    answers(core, "respect", KEY, THIS_WEEK, ["5"] * 5 + ["3"] * 5, pilot=5)
    lines, _ = _section(_digest(core), "Key measure: ")
    assert "Pilot group: 5.0 / 5 (5) · everyone else: 3.0 / 5 (5)" in lines


def test_enps_is_promoters_minus_detractors(core: LearnPulse) -> None:
    # technical-recommend is an enps key measure (target 30) of a pilot-phase workstream
    answers(core, "technical", "technical-recommend", THIS_WEEK, ["10", "9", "9", "8", "6", "0"])
    built = _digest(core, "technical")
    lines, fields = _section(built, "How likely")
    assert fields["Result"] == "+17 eNPS"  # (3 promoters - 2 detractors) / 6
    assert fields["Target"] == "+30 eNPS — not met ✗"
    assert "Promoters (9-10) 50% · passives (7-8) 17% · detractors (0-6) 33%" in lines


def test_yes_no_is_a_percentage(core: LearnPulse) -> None:
    answers(core, "technical", "technical-applied-on-the-job", THIS_WEEK, ["1", "1", "1", "0", "0"])
    _, fields = _section(_digest(core, "technical"), "Key measure: ")
    assert fields["Result"] == "60% yes"
    assert fields["Target"] == "70% yes — not met ✗"


def test_choice_shows_the_share_of_each_option(core: LearnPulse) -> None:
    ws = core.require_program().workstream("respect")
    assert ws is not None
    question = next(q for q in ws.questions if q.kind == "choice")
    options = question.options or []
    values = [options[0]] * 3 + [options[1]] * 2
    answers(core, "respect", question.id, THIS_WEEK, values, scores=[None] * 5)
    lines, _ = _section(_digest(core), question.ask)
    assert f"{options[0]}: 60%" in lines and f"{options[1]}: 40%" in lines


def test_comments_need_min_comments_and_never_carry_a_name(core: LearnPulse) -> None:
    comments: list[str | None] = ["Great session, thanks <@U0SOMEONE1>!", "Fine.", "Too long"]
    answers(
        core, "respect", KEY, THIS_WEEK, ["4"] * 5,
        comments=[*comments, "ok", None], sentiments=[0.8, 0.0, -0.4, 0.05, None],
    )  # fmt: skip
    lines, _ = _section(_digest(core), "Comments")
    assert lines == "Not enough comments yet (5 people needed)."
    answers(
        core, "respect", KEY, THIS_WEEK, ["4"] * 2,
        comments=["Loved it", "Meh"], sentiments=[0.6, -0.2],
    )  # fmt: skip
    built = _digest(core)
    lines, fields = _section(built, "Comments")
    assert fields["People who commented"] == "6"
    assert fields["Share"] == "33% positive · 33% neutral · 33% negative"
    assert fields["Overall sentiment"].startswith("+0.14")
    assert "“Great session, thanks @someone!” (positive)" in lines
    assert "U0SOMEONE1" not in text_of(built.report)
    assert "Name of" not in text_of(built.report)


def test_response_rate_and_audience(core: LearnPulse) -> None:
    audience(core, "respect", 12, pilot=4)
    now = answers(core, "respect", KEY, THIS_WEEK, [])
    deliveries(core, now, ["answered"] * 6 + ["sent", "expired", "failed", "skipped"])
    before = answers(core, "respect", KEY, LAST_WEEK, [])
    deliveries(core, before, ["answered"] * 2 + ["expired"] * 2)
    summary = _digest(core).report.summary or ""
    assert "audience 12 (pilot group 4)" in summary
    assert "response rate 75% (6 of 8 people asked), ▲ +25 pts vs the previous period" in summary


def test_the_chart_is_a_png_with_only_allowed_points(core: LearnPulse) -> None:
    # Eight weeks ending Fri 27 Nov. Week of 3 Nov: six answers, but its digest already showed
    # five of them (the sixth could be worked out); 10 Nov: five; 17 Nov: four; 24 Nov: five.
    answers(core, "respect", KEY, date(2026, 11, 3), ["2"] * 5)
    _digest(core, period=Period(date(2026, 10, 31), date(2026, 11, 6)))
    answers(core, "respect", KEY, date(2026, 11, 3), ["1"])
    answers(core, "respect", KEY, date(2026, 11, 10), ["4"] * 5)
    answers(core, "respect", KEY, LAST_WEEK, ["3", "3", "3", "1"])
    answers(core, "respect", KEY, THIS_WEEK, ["5"] * 5)
    built = _digest(core)
    assert built.chart is not None
    assert built.report.image_png == built.chart.png
    assert built.chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert "respect" in built.report.image_alt.lower()
    assert built.chart.labels == (
        "09 Oct", "16 Oct", "23 Oct", "30 Oct", "06 Nov", "13 Nov", "20 Nov", "27 Nov",
    )  # fmt: skip
    points = {one.name: list(one.values) for one in built.chart.series}
    ask = core.catalog.questions[KEY].ask
    assert points.pop(ask) == [None, None, None, None, None, 4.0, None, 5.0]
    assert points and all(values == [None] * 8 for values in points.values())  # no answers


def test_each_chart_point_says_how_many_people_it_stands_for(core: LearnPulse) -> None:
    answers(core, "respect", KEY, date(2026, 11, 10), ["4"] * 6)
    answers(core, "respect", KEY, LAST_WEEK, ["3", "3", "3", "1"])  # four: withheld
    answers(core, "respect", KEY, THIS_WEEK, ["5"] * 7)
    built = _digest(core)
    assert built.chart is not None
    ask = core.catalog.questions[KEY].ask
    (respect,) = [one for one in built.chart.series if one.name == ask]
    assert respect.values == (None, None, None, None, None, 4.0, None, 5.0)
    assert respect.people == (None, None, None, None, None, 6, None, 7)
    texts = built.chart.texts
    start = texts.index(ask)
    assert texts[start : start + 6] == (ask, "target 4.3", "4.0", "n=6", "5.0", "n=7")


def test_many_workstreams_are_built_together(core: LearnPulse) -> None:
    program = core.require_program()
    answers(core, "respect", KEY, THIS_WEEK, ["5"] * 5)
    built = build_digests(core, [(w, scheduled_period(core, w)) for w in program.workstreams])
    assert [d.workstream_id for d in built] == [w.id for w in program.workstreams]
    assert built[[d.workstream_id for d in built].index("respect")].summary["responses"] == {KEY: 5}


def test_free_text_answers_are_quoted_only_from_enough_people(core: LearnPulse) -> None:
    question = "respect-one-thing"
    answers(core, "respect", question, THIS_WEEK, ["a", "b", "c", "d"], scores=[None] * 4)
    built = _digest(core)
    text = text_of(built.report)
    assert "“a”" not in text
    answers(
        core,
        "respect",
        question,
        THIS_WEEK,
        ["ask teams:8d1c2a40-0000-4000-8000-000000000001"],
        scores=[None],
    )
    text = text_of(_digest(core).report)
    assert "“ask @someone”" in text
    assert "8d1c2a40" not in text


def test_late_answers_to_a_posted_period_cannot_be_subtracted(core: LearnPulse) -> None:
    answers(core, "respect", KEY, LAST_WEEK, ["4"] * 5)
    answers(core, "respect", KEY, THIS_WEEK, ["5"] * 5)
    last_week = Period(date(2026, 11, 14), date(2026, 11, 20))
    posted = _digest(core, period=last_week)
    with core.session() as session:
        session.add(
            PostedDigest(key="digest:respect:2026-11-14", workstream_id="respect",
                         period_start=last_week.start, period_end=last_week.end,
                         destination=posted.destination, summary=posted.summary,
                         posted_at=datetime(2026, 11, 20, 21, tzinfo=UTC))
        )  # fmt: skip
    _, fields = _section(_digest(core), "Key measure: ")
    assert fields["Change"] == "▲ +1.0 vs the previous period"
    answers(core, "respect", KEY, LAST_WEEK, ["1"])  # a late answer to last week's asking
    _, fields = _section(_digest(core), "Key measure: ")
    assert fields["Change"].startswith("no comparison")  # 4.0 -> 3.5 would reveal the "1"
    assert fields["Result"] == "5.0 / 5"


def test_a_pilot_split_shown_before_is_not_shown_again_when_the_rest_barely_moved(
    core: LearnPulse,
) -> None:
    answers(core, "respect", KEY, THIS_WEEK, ["5"] * 5 + ["3"] * 5, pilot=5)
    first = _digest(core)
    with core.session() as session:
        session.add(
            PostedDigest(key="digest:respect:manual", workstream_id="respect",
                         period_start=first.period.start, period_end=first.period.end,
                         destination=first.destination, summary=first.summary,
                         posted_at=datetime(2026, 11, 27, 21, tzinfo=UTC))
        )  # fmt: skip
    answers(core, "respect", KEY, THIS_WEEK, ["5"] * 5 + ["1"], pilot=5)  # 5 pilot, 1 other
    lines, fields = _section(_digest(core), "Key measure: ")
    assert fields["People"] == "16"  # the whole moved by 6: shown
    assert "Pilot group" not in lines  # everyone else moved by 1: that one answer would show


def test_one_person_commenting_five_times_never_unlocks_a_quote(core: LearnPulse) -> None:
    """min_comments counts people: a victim's comment plus four from one other person (each
    on a different asking of the week) is two people, not five comments."""
    victim, other = "slack:U0VICTIM01", "slack:U0OTHER001"
    answers(core, "respect", KEY, THIS_WEEK, ["2"], comments=["My lead shouts at me"],
            sentiments=[-0.6], people=[victim])  # fmt: skip
    for day in (21, 22, 23, 25):
        answers(core, "respect", KEY, date(2026, 11, day), ["4"], comments=[f"fine {day}"],
                sentiments=[0.1], people=[other])  # fmt: skip
    built = _digest(core)
    lines, _ = _section(built, "Comments")
    assert lines == "Not enough comments yet (5 people needed)."
    assert "shouts" not in text_of(built.report)
    assert built.summary["comments"] == 0
