"""Files to a person: a consent card first, the upload to their OneDrive only when they allow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from adapters.teams import files, store
from bot.clock import ManualClock
from storage.tables import ConversationReference
from tests.adapters.teams import activities as a
from tests.adapters.teams.conftest import TeamsHarness

CONTENT = b'{"answers": [{"question": "q", "value": "4"}]}'
PERSON = f"teams:{a.EMPLOYEE_AAD}"


async def offered(teams: TeamsHarness) -> str:
    """Install, send a file, and return the token its consent card carries."""
    await teams.post(a.installation_update(teams.connector.url, a.EMPLOYEE_AAD))
    teams.connector.calls.clear()
    await teams.adapter.send_file(PERSON, "learnpulse-my-data.json", CONTENT, "Your data.")
    (card,) = teams.connector.posted()
    (attachment,) = card.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
    assert attachment["name"] == "learnpulse-my-data.json"
    consent: dict[str, Any] = attachment["content"]
    assert consent["sizeInBytes"] == len(CONTENT) and consent["description"] == "Your data."
    token: str = consent["acceptContext"]["file"]
    assert consent["declineContext"] == {"file": token}
    return token


def waiting_rows(teams: TeamsHarness) -> list[ConversationReference]:
    with teams.core.session() as session:
        rows = session.exec(select(ConversationReference)).all()
        return [r for r in rows if r.key.startswith(store.FILE_PREFIX)]


async def test_allow_uploads_the_file_and_shows_it(teams: TeamsHarness) -> None:
    token = await offered(teams)
    (row,) = waiting_rows(teams)
    assert b"answers" not in row.reference.encode()  # encrypted while it waits
    accept = a.file_consent(
        teams.connector.url, a.EMPLOYEE_AAD, "accept", token, f"{teams.connector.url}upload/x"
    )
    status, _ = await teams.post(accept)
    assert status == 200
    (upload,) = teams.connector.uploads()
    assert upload.body == {
        "content": CONTENT,
        "range": f"bytes 0-{len(CONTENT) - 1}/{len(CONTENT)}",
    }
    info = teams.connector.posted()[-1].body["attachments"][0]
    assert info["contentType"] == "application/vnd.microsoft.teams.card.file.info"
    assert info["content"]["uniqueId"] == "1150D938-8870-4044-9F2C-5BBDEBA70C8C"
    assert waiting_rows(teams) == []
    status, _ = await teams.post(accept)  # a second Allow finds nothing to upload
    assert status == 200 and len(teams.connector.uploads()) == 1


async def test_decline_drops_the_file(teams: TeamsHarness) -> None:
    token = await offered(teams)
    status, _ = await teams.post(
        a.file_consent(teams.connector.url, a.EMPLOYEE_AAD, "decline", token)
    )
    assert status == 200
    assert waiting_rows(teams) == [] and teams.connector.uploads() == []


async def test_someone_else_or_a_day_later_gets_nothing(
    teams: TeamsHarness, clock: ManualClock
) -> None:
    token = await offered(teams)
    url = f"{teams.connector.url}upload/x"
    await teams.post(a.file_consent(teams.connector.url, a.ADMIN_AAD, "accept", token, url))
    assert teams.connector.uploads() == [] and len(waiting_rows(teams)) == 1
    clock.advance(timedelta(days=1, minutes=1))
    await teams.post(a.file_consent(teams.connector.url, a.EMPLOYEE_AAD, "accept", token, url))
    assert teams.connector.uploads() == []
    await teams.adapter.send_file(PERSON, "again.json", CONTENT, "Again.")
    assert len(waiting_rows(teams)) == 1  # offering a new file forgets the expired one


async def test_an_upload_url_off_sharepoint_is_never_called(teams: TeamsHarness) -> None:
    token = await offered(teams)
    accept = a.file_consent(
        teams.connector.url, a.EMPLOYEE_AAD, "accept", token, "https://collector.example/upload"
    )
    status, _ = await teams.post(accept)
    assert status == 200 and teams.connector.uploads() == []
    assert "could not be uploaded" in str(teams.connector.posted()[-1].body["attachments"])


def test_only_sharepoint_over_https_outside_the_emulator() -> None:
    assert files.upload_allowed("https://contoso-my.sharepoint.com/upload?x=1", emulator=False)
    assert files.upload_allowed("https://contoso-my.sharepoint.us/upload", emulator=False)
    assert not files.upload_allowed("http://contoso-my.sharepoint.com/upload", emulator=False)
    assert not files.upload_allowed("https://sharepoint.com.evil.example/", emulator=False)
    assert not files.upload_allowed("http://127.0.0.1:8080/upload", emulator=False)
    assert files.upload_allowed("http://127.0.0.1:8080/upload", emulator=True)
    assert not files.upload_allowed("https://contoso-my.sharepoint.com/upload", emulator=True)
