"""Files to one person through Teams' file consent flow (the only way a bot sends a file in a
1:1 chat without Graph permissions).

1. The bot posts a file consent card (name, size, description); the file waits, encrypted, in
   ``store.py`` under ``teams:file:<token>`` for at most a day.
2. The person presses Allow: Teams creates an upload session in their OneDrive and sends a
   ``fileConsent/invoke`` with its ``uploadUrl``; the bot PUTs the bytes there and posts a file
   card pointing at the uploaded file. Decline, or a day passing, discards the waiting file.

The upload URL comes from Teams, so it is called only on a SharePoint/OneDrive host over HTTPS
(or on loopback in emulator mode, where nothing is authenticated and nothing else is allowed).
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import aiohttp
from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters.teams import store
from bot.settings import is_loopback_url

if TYPE_CHECKING:
    from bot.app import LearnPulse

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
FILE_CONSENT_INVOKE = "fileConsent/invoke"
WAITING = timedelta(days=1)
UPLOAD_HOST_SUFFIXES = (".sharepoint.com", ".sharepoint.us")
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60)


class UploadRefused(Exception):
    """The upload URL is not one the bot may call, or the upload failed; nothing was sent."""


def offer(core: LearnPulse, person: str, name: str, content: bytes) -> str:
    """Keep the file for ``person`` until they answer; the token their answer will carry."""
    store.delete_older(core, store.FILE_PREFIX, core.clock.now() - WAITING)
    token = secrets.token_urlsafe(18)
    document = {
        "person": person,
        "name": name,
        "content": base64.b64encode(content).decode("ascii"),
        "offered": core.clock.now().isoformat(),
    }
    store.save(core, store.file_key(token), document)
    return token


def waiting(core: LearnPulse, token: str, person: str) -> tuple[str, bytes] | None:
    """The file offered to ``person`` under ``token`` and still waiting, as (name, bytes)."""
    document = store.load(core, store.file_key(token))
    if document is None or document.get("person") != person:
        return None
    if datetime.fromisoformat(str(document["offered"])) < core.clock.now() - WAITING:
        return None
    return str(document["name"]), base64.b64decode(str(document["content"]))


def consent_activity(name: str, size: int, description: str, token: str) -> Activity:
    """The file consent card: Allow uploads the file to the person's OneDrive, Decline drops it."""
    card = {
        "description": description,
        "sizeInBytes": size,
        "acceptContext": {"file": token},
        "declineContext": {"file": token},
    }
    return Activity(
        type=ActivityTypes.message,
        summary=name,
        attachments=[Attachment(content_type=FILE_CONSENT, name=name, content=card)],
    )


def info_activity(upload_info: dict[str, Any]) -> Activity:
    """The card showing the uploaded file in the chat."""
    name = str(upload_info.get("name") or "file")
    return Activity(
        type=ActivityTypes.message,
        summary=name,
        attachments=[
            Attachment(
                content_type=FILE_INFO,
                name=name,
                content_url=upload_info.get("contentUrl"),
                content={
                    "uniqueId": upload_info.get("uniqueId"),
                    "fileType": upload_info.get("fileType"),
                },
            )
        ],
    )


def upload_allowed(url: str | None, emulator: bool) -> bool:
    """HTTPS on SharePoint/OneDrive; in emulator mode, loopback only."""
    if not url:
        return False
    if emulator:
        return is_loopback_url(url)
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    return parsed.scheme == "https" and host.endswith(UPLOAD_HOST_SUFFIXES)


async def upload(url: str, content: bytes, emulator: bool) -> None:
    """PUT the whole file into the upload session Teams created."""
    if not upload_allowed(url, emulator):
        raise UploadRefused("upload URL is not on SharePoint/OneDrive")
    headers = {"Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as session,
            session.put(url, data=content, headers=headers) as response,
        ):
            if response.status >= 300:
                raise UploadRefused(f"upload answered HTTP {response.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UploadRefused(f"upload failed ({exc.__class__.__name__})") from None
