"""Build a core on a small test program, with the in-process chat of ``tests/fakes.py`` or with
a real adapter of the test's choosing."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from bot.app import LearnPulse
from bot.clock import ManualClock
from bot.due_work import WorkReport
from bot.ports import Member
from tests.factories import build_app, write_program
from tests.fakes import FakeChat

TOKYO = "slack:UTOKYO001"
NEW_YORK = "slack:UNEWYORK1"
BERLIN = "slack:UBERLIN01"

# A core, the in-process chat registered on it, and its clock.
ChatCore = tuple[LearnPulse, FakeChat, ManualClock]

HEADER = """\
program: Engine test
timezone: America/New_York
working_days: {days}
working_hours: {hours}
holidays: {holidays}
max_prompts_per_week: {budget}
anonymity: {{min_responses: 5, min_comments: 5, mode: {mode}}}
admins: ["slack:U0ADMIN01"]
workstreams:
  - id: lms
    name: LMS rollout
    lead: slack:U0LEAD001
    digest_to: slack:channel:C0LMSLEAD
    phase: {phase}
    pilot: [{pilot}]
    audience: [slack:channel:C0ALL]
    questions:
{questions}"""


def question(
    qid: str, cadence: str, on: str | int | None, at: str, key: bool = False, kind: str = "scale"
) -> str:
    lines = [
        f"      - id: {qid}",
        f"        ask: Question {qid}?",
        f"        kind: {kind}",
        f"        cadence: {cadence}",
    ]
    if on is not None:
        lines.append(f"        on: {on}")
    lines.append(f'        at: "{at}"')
    if key:
        lines += ["        key_measure: true", "        target: 4.0"]
    lines.append("        comment: optional")
    return "\n".join(lines) + "\n"


def program_text(
    questions: list[str],
    *,
    days: str = "[mon, tue, wed, thu, fri]",
    hours: str = '["09:00", "17:00"]',
    budget: int = 5,
    mode: str = "confidential",
    phase: str = "organization",
    pilot: str = TOKYO,
    holidays: str = '["2026-12-25"]',
) -> str:
    return HEADER.format(
        days=days,
        hours=hours,
        holidays=holidays,
        budget=budget,
        mode=mode,
        phase=phase,
        pilot=pilot,
        questions="".join(questions),
    )


def program_core(
    database_url: str, tmp_path: Path, text: str, start: datetime
) -> tuple[LearnPulse, ManualClock]:
    """A core with the program ``text`` loaded and its clock at ``start``; no chat adapter."""
    clock = ManualClock(start)
    return build_app(database_url, program=write_program(tmp_path, text), clock=clock), clock


def make_core(
    database_url: str, tmp_path: Path, text: str, start: datetime, people: list[Member]
) -> ChatCore:
    """``program_core`` with the in-process chat, whose audience C0ALL is ``people``."""
    core, clock = program_core(database_url, tmp_path, text, start)
    chat = FakeChat(directory={"slack:channel:C0ALL": people})
    core.adapters.register(chat)
    return core, chat, clock


def run(core: LearnPulse) -> WorkReport:
    return asyncio.run(core.due_work.run())
