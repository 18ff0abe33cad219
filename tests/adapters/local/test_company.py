"""The playground's company: everyone in the directory has a department, a location and a start
date, stored like a people file's, with segments both above and below the program's threshold;
and the playground finds people by e-mail as Slack and Teams do."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from adapters.local import setup
from adapters.local.adapter import LocalAdapter
from adapters.local.company import DEPARTMENTS, LOCATIONS, attributes_for, store_company
from bot.app import LearnPulse
from bot.server import build_web_app
from surveys.person_attributes import attributes_of
from surveys.roster import PEOPLE


def _playground(core: LearnPulse) -> LocalAdapter:
    adapter = setup(core, build_web_app(core))
    core.adapters.register(adapter, "slack", "teams", "local")
    return adapter


async def test_every_colleague_has_a_department_and_a_location(core: LearnPulse) -> None:
    adapter = _playground(core)
    directory = adapter.directory
    assert store_company(core, directory) == len(directory.people)
    with core.engine.connect() as connection:
        ids = {
            str(ref): int(pid) for ref, pid in connection.execute(select(PEOPLE.c.ref, PEOPLE.c.id))
        }
    stored = attributes_of(core.engine, core.vault, ids.values())
    today = core.clock.now().date()
    pilots = {ref for w in core.require_program().workstreams for ref in w.pilot}
    assert {ref: stored[ids[ref]] for ref in directory.people} == {
        ref: attributes_for(ref, today, pilot=ref in pilots) for ref in directory.people
    }
    assert {stored[ids[ref]]["location"] for ref in pilots} == {LOCATIONS[0][0]}
    departments = Counter(values["department"] for values in stored.values())
    locations = Counter(values["location"] for values in stored.values())
    assert set(departments) == {name for name, _ in DEPARTMENTS}
    assert set(locations) == {name for name, _ in LOCATIONS}
    # Within one workstream's audience, some departments reach min_responses and some do not.
    min_responses = core.require_program().anonymity.min_responses
    audience = directory.members(core.require_program().workstreams[0].audience[0])
    sizes = Counter(stored[ids[m.person]]["department"] for m in audience if m.person in ids)
    assert max(sizes.values()) >= min_responses > min(sizes.values())


async def test_the_playground_finds_people_by_e_mail_and_aad_object_id(core: LearnPulse) -> None:
    adapter = _playground(core)
    directory = adapter.directory
    slack_ref = next(r for r in sorted(directory.people) if r.startswith("slack:"))
    teams_ref = next(r for r in sorted(directory.people) if r.startswith("teams:"))
    email = directory.email_of(slack_ref)
    assert email is not None and email.endswith("@northwind.example")
    found = await adapter.find_people("email", [email.upper(), "nobody@northwind.example"])
    assert {k: m.person for k, m in found.items()} == {email: slack_ref}
    by_id = await adapter.find_people("aad_object_id", [teams_ref.removeprefix("teams:")])
    assert [m.person for m in by_id.values()] == [teams_ref]
