"""One count per person, one story across surfaces: a person who answered the same question
twice in a period counts once, with their latest answer, in the digest, status and review."""

from __future__ import annotations

import re
from datetime import date

from bot.app import LearnPulse
from bot.commands.table import run_command
from surveys.digest import build_digests, scheduled_period
from surveys.review import build_review, current_period
from surveys.review_render import as_report
from tests.bot.test_report_support import answers, deliveries, text_of

ADMIN = "slack:U0ADMIN001"
KEY = "respect-treated-with-respect"  # weekly digest Sat..Fri; the last finished: 21..27 Nov
PEOPLE = [f"slack:U0SAME{i:05d}" for i in range(6)]


async def test_two_askings_in_a_week_count_each_person_once_everywhere(core: LearnPulse) -> None:
    # The scheduled Tuesday asking, then an ad-hoc asking on Thursday: every one of the six
    # answered both times; on Thursday two of them changed their mind (4 -> 2).
    tuesday = answers(core, "respect", KEY, date(2026, 11, 24), ["4"] * 6, people=PEOPLE)
    thursday = answers(
        core, "respect", KEY, date(2026, 11, 26), ["2", "2", "4", "4", "4", "4"], people=PEOPLE
    )
    deliveries(core, tuesday, ["answered"] * 2)  # two more people were asked, once each
    deliveries(core, thursday, ["expired"] * 2)
    respect = core.require_program().workstream("respect")
    assert respect is not None

    [digest] = build_digests(core, [(respect, scheduled_period(core, respect))])
    key_section = next(s for s in digest.report.sections if s.heading.startswith("Key measure"))
    fields = dict(key_section.fields)
    assert fields["People"] == "6"
    assert fields["Result"] == "3.3 / 5"  # (2 + 2 + 4 * 4) / 6, the latest answers
    assert "(2 of 4 people asked)" in (digest.report.summary or "")

    status = text_of(await run_command(core, ADMIN, "learning-status", "respect", None))
    assert "3.3 / 5 (6 people)" in status

    review = text_of(as_report(build_review(core, current_period(core))))
    assert "3.3 / 5 (6 people, Sat 21 Nov to Fri 27 Nov 2026)" in review
    for text in (status, review, "\n".join(digest.report.sections[0].lines)):
        assert not re.search(r"\b12 (people|responses)\b", text)
