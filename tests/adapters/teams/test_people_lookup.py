"""The people file matched over the Bot Connector: by user principal name, e-mail address or
AAD object id, from the paged rosters of the teams the app is installed in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ports import Member
from surveys.people_file import PeopleFileError
from surveys.people_import import import_people
from surveys.person_attributes import attributes_of
from surveys.roster import upsert_people
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness

AAD = [f"6c1f2e4a-0d3b-4e5f-8a9b-00000000000{i}" for i in range(5)]
ROSTER = [
    {
        "id": f"29:{i}",
        "name": f"Person {i}",
        "aadObjectId": aad.upper() if i == 1 else aad,  # Azure AD ids compare case-blind
        "userPrincipalName": f"person{i}@northwind.example",
        "email": f"Person{i}@Northwind.example",
    }
    for i, aad in enumerate(AAD)
]


@pytest.fixture
async def installed(teams: TeamsHarness) -> TeamsHarness:
    await teams.post(a.team_install(teams.connector.url, a.ADMIN_AAD))
    teams.connector.team_members[a.TEAM_ID] = ROSTER
    teams.connector.calls.clear()
    return teams


async def test_people_are_found_by_upn_e_mail_or_aad_object_id(installed: TeamsHarness) -> None:
    adapter = installed.adapter
    by_upn = await adapter.find_people("upn", ["PERSON2@northwind.example", "no@northwind.example"])
    assert by_upn == {
        "person2@northwind.example": Member(person=f"teams:{AAD[2]}", display_name="Person 2")
    }
    by_email = await adapter.find_people("email", ["person3@northwind.example"])
    assert [m.person for m in by_email.values()] == [f"teams:{AAD[3]}"]
    by_id = await adapter.find_people(
        "aad_object_id", [AAD[1], "ffffffff-0000-4000-8000-000000000000"]
    )
    assert {k: m.person for k, m in by_id.items()} == {AAD[1]: f"teams:{AAD[1]}"}
    rosters = [c for c in installed.connector.calls if c.path.endswith("/pagedmembers")]
    assert len(rosters) == 3 * 3  # three lookups, each the roster's three pages of two


async def test_a_throttled_roster_page_is_retried(installed: TeamsHarness) -> None:
    installed.connector.fail_next.append((429, None))
    found = await installed.adapter.find_people("upn", ["person4@northwind.example"])
    assert [m.person for m in found.values()] == [f"teams:{AAD[4]}"]
    assert len(installed.connector.refused(429)) == 1


async def test_a_people_file_by_upn_is_stored_or_refused_whole(
    installed: TeamsHarness, tmp_path: Path
) -> None:
    core = installed.core
    people = tmp_path / "people.csv"
    people.write_text(
        "upn,department,location\n"
        "person0@northwind.example,Operations,Denver\n"
        "Person1@northwind.example,Operations,Lisbon\n"
        "someone.else@northwind.example,Sales,Lisbon\n",
        encoding="utf-8",
    )
    with pytest.raises(PeopleFileError) as refused:
        await import_people(core, people)
    assert refused.value.problems == [f"{people}:4: unknown person: nobody in chat has this upn"]
    people.write_text(
        "upn,department,location\n"
        "person0@northwind.example,Operations,Denver\n"
        "Person1@northwind.example,Operations,Lisbon\n",
        encoding="utf-8",
    )
    report = await import_people(core, people)
    assert (report.people, report.values) == (2, 3)
    stored = upsert_people(core.engine, [Member(f"teams:{AAD[0]}"), Member(f"teams:{AAD[1]}")])
    ids = [stored[f"teams:{aad}"].id for aad in AAD[:2]]
    assert attributes_of(core.engine, core.vault, ids) == {
        ids[0]: {"department": "Operations", "location": "Denver"},
        ids[1]: {"department": "Operations", "location": "Lisbon"},
    }
