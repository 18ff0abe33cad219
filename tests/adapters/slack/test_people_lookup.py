"""The people file named by e-mail, matched over Slack's Web API: one paginated pass over
``users.list`` reading profile e-mails, ``users.lookupByEmail`` only for what that pass missed,
rate limits waited out, and nothing stored while a row matches nobody."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.slack import SlackAdapter
from bot.app import LearnPulse
from bot.clock import ManualClock
from surveys.people_file import PeopleFileError
from surveys.people_import import import_people
from surveys.person_attributes import LINKS, VALUES, attributes_of
from surveys.roster import PEOPLE
from tests.adapters.slack.conftest import adapter_for
from tests.adapters.slack.fake_slack import FakeSlack
from tests.virtual_time import VirtualTime

STAFF = {
    "U0PEOPLE01": "ana.almeida@northwind.example",
    "U0PEOPLE02": "Ben.Brooks@Northwind.example",  # Slack keeps the case it was given
    "U0PEOPLE03": "chloe.chen@northwind.example",
}
HIDDEN = ("U0GUEST001", "dev.diaz@partner.example")  # not in users.list, found by lookup
LEFT = ("U0LEFT0001", "emil.evans@northwind.example")  # deactivated
CSV = (
    "email,department,location,start_date\n"
    "ana.almeida@northwind.example,Engineering,Lisbon,2019-04-01\n"
    "ben.brooks@northwind.example,Engineering,Denver,2024-09-16\n"
    "CHLOE.CHEN@northwind.example,Sales,Lisbon,\n"
    "dev.diaz@partner.example,Sales,Remote,2022-01-10\n"
)


@pytest.fixture
def staffed(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.page_size = 4  # several pages of users.list
    for user, email in STAFF.items():
        fake_slack.add_user(user, email=email)
    fake_slack.add_user(LEFT[0], email=LEFT[1], deleted=True)
    fake_slack.add_user(HIDDEN[0], email=HIDDEN[1])
    fake_slack.hidden_users[HIDDEN[0]] = fake_slack.users.pop(HIDDEN[0])
    return fake_slack


def _stored(core: LearnPulse) -> tuple[int, int, int]:
    with core.engine.connect() as connection:
        people = connection.execute(select(func.count()).select_from(PEOPLE)).scalar_one()
        links = connection.execute(select(func.count()).select_from(LINKS)).scalar_one()
        values = connection.execute(select(func.count()).select_from(VALUES)).scalar_one()
    return int(people), int(links), int(values)


def _ids(core: LearnPulse, users: list[str]) -> dict[str, int]:
    with core.engine.connect() as connection:
        rows = connection.execute(
            select(PEOPLE.c.id, PEOPLE.c.ref).where(PEOPLE.c.ref.in_([f"slack:{u}" for u in users]))
        )
        return {str(ref).removeprefix("slack:"): int(pid) for pid, ref in rows}


async def test_e_mails_are_matched_in_one_pass_then_looked_up_one_by_one(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, staffed: FakeSlack, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_text(CSV, encoding="utf-8")
    report = await import_people(slack_core, people)
    assert (report.people, report.attributes, report.values) == (
        4, ("department", "location", "start_date"), 8
    )  # fmt: skip
    pages = staffed.calls_to("users.list")
    assert len(pages) == -(-(len(staffed.users)) // 4)  # every page once, none twice
    lookups = staffed.calls_to("users.lookupByEmail")
    assert [c.params["email"] for c in lookups] == [HIDDEN[1]]  # only the miss
    ids = _ids(slack_core, [*STAFF, HIDDEN[0]])
    stored = attributes_of(slack_core.engine, slack_core.vault, ids.values())
    assert stored[ids["U0PEOPLE01"]] == {
        "department": "Engineering", "location": "Lisbon", "start_date": "2019-04-01"
    }  # fmt: skip
    assert stored[ids["U0PEOPLE03"]] == {"department": "Sales", "location": "Lisbon"}
    assert stored[ids[HIDDEN[0]]]["location"] == "Remote"


async def test_an_address_nobody_has_refuses_the_file_and_stores_nothing(
    slack_core: LearnPulse, slack_adapter: SlackAdapter, staffed: FakeSlack, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        CSV + f"{LEFT[1]},Sales,Denver,\nnobody@northwind.example,Sales,Denver,\n",
        encoding="utf-8",
    )
    before = _stored(slack_core)
    with pytest.raises(PeopleFileError) as refused:
        await import_people(slack_core, people)
    assert refused.value.problems == [
        f"{people}:6: unknown person: nobody in chat has this email",
        f"{people}:7: unknown person: nobody in chat has this email",
    ]
    assert _stored(slack_core) == before  # nothing written, not even the people who matched
    assert "northwind" not in " ".join(refused.value.problems).replace(str(people), "")
    lookups = {c.params["email"] for c in staffed.calls_to("users.lookupByEmail")}
    assert lookups == {HIDDEN[1], LEFT[1], "nobody@northwind.example"}
    assert all(c.status == 200 for c in staffed.calls_to("users.lookupByEmail"))

    skipped = await import_people(slack_core, people, skip_unknown=True)
    assert (skipped.people, skipped.skipped_lines) == (4, (6, 7))
    assert _stored(slack_core)[1] == 11  # 4 people: 3 + 3 + 2 + 3 attributes


async def test_a_rate_limited_page_is_waited_for_not_dropped(
    slack_core: LearnPulse, staffed: FakeSlack, clock: ManualClock, tmp_path: Path
) -> None:
    driven = VirtualTime()
    adapter = adapter_for(staffed.url, clock, monotonic=driven.monotonic, sleep=driven.sleep)
    slack_core.adapters.register(adapter)
    staffed.faults.queued["users.list"] = [429]
    found = await adapter.find_people("email", [*STAFF.values(), "nobody@northwind.example"])
    assert driven.slept == [1.0]  # Retry-After: 1
    assert {m.person for m in found.values()} == {f"slack:{u}" for u in STAFF}
    assert set(found) == {e.lower() for e in STAFF.values()}
    assert await adapter.find_people("upn", ["ana.almeida@northwind.example"]) == {}
