"""A person's own trend: only their answers, in the App Home and as a monthly private message.

Who receives the monthly message on which platform is tested through the fake Bot Connector and
the fake Slack Web API in ``tests/adapters/teams/test_trend_message.py``."""

from __future__ import annotations

from datetime import date

from bot.app import LearnPulse
from surveys.banks import SELF_ASSESSMENT, load_bank
from surveys.home import home_view
from surveys.trend import own_trend_section
from tests.bot.test_report_support import answers, person

ME = "slack:U0TRENDME1"
KEY = "respect-treated-with-respect"


def answered_by(core: LearnPulse, who: str) -> None:
    """Two self-assessments of ``who`` and one answer beside someone else's."""
    area = next(q for q in load_bank(SELF_ASSESSMENT).questions if q.area == "culture-alignment")
    answers(core, SELF_ASSESSMENT, area.id, date(2026, 9, 1), ["2"], people=[who])
    answers(core, SELF_ASSESSMENT, area.id, date(2026, 11, 2), ["4"], people=[who])
    answers(core, "respect", KEY, date(2026, 11, 9), ["5", "1"], people=[who, "slack:U0NOTME01"])


def test_the_section_shows_only_the_persons_own_answers(core: LearnPulse) -> None:
    answered_by(core, ME)
    section = own_trend_section(core, ME)
    fields = dict(section.fields)
    assert fields["Culture alignment"] == "· → · → · → 2.0 → · → 4.0"
    assert fields[next(k for k in fields if k.startswith("This week, the people"))].endswith("5.0")
    assert "Only you can see this." in section.lines
    assert own_trend_section(core, "slack:U0SOMEONE2").fields == ()


def test_the_app_home_includes_it(core: LearnPulse) -> None:
    answered_by(core, ME)
    person(core, ME)
    home = home_view(core, ME)
    assert "Your own trend" in [s.heading for s in home.sections]


def test_anonymous_mode_has_no_personal_trend(core: LearnPulse) -> None:
    answered_by(core, ME)
    program = core.require_program()
    anonymity = program.anonymity.model_copy(update={"mode": "anonymous"})
    core.program = program.model_copy(update={"anonymity": anonymity})
    assert "anonymous" in own_trend_section(core, ME).lines[0]


def test_a_leads_home_offers_a_private_preview_of_their_digest(core: LearnPulse) -> None:
    lead = home_view(core, "slack:U0LEAD0003")  # the respect workstream's lead
    assert ("/learning-digest respect preview", "Preview the respect digest") in [
        (a.value, a.label) for a in lead.actions
    ]
    assert not any("learning-digest" in a.value for a in home_view(core, ME).actions)


def test_each_question_is_named_in_full(core: LearnPulse) -> None:
    lms = "lms-find-what-i-need"
    answers(core, "lms", lms, date(2026, 11, 9), ["4"], people=[ME])
    ask = core.catalog.questions[lms].ask
    assert len(ask) > 70  # longer than any cut the section ever made
    fields = dict(own_trend_section(core, ME).fields)
    assert fields[ask].endswith("4.0")
    assert not any("…" in label for label in fields)
