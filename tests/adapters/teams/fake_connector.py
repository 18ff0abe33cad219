"""A fake Bot Connector on loopback, speaking the REST shapes Teams' connector speaks.

It enforces Teams' throttling (per conversation 7 sends per second and 60 per 30 seconds; a
bot-wide rate) by answering 429 with ``Retry-After``, and can be told to fail the next calls
with any status. Everything it receives is recorded for assertions, with the time it arrived by
``monotonic`` (a test may give it, and the bot's throttle, a clock it drives).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

PER_CONVERSATION = ((7, 1.0), (60, 30.0))


@dataclass
class Received:
    """One call the fake answered (or refused)."""

    method: str
    path: str
    conversation: str
    body: dict[str, Any]
    status: int
    at: float
    authorization: str | None
    retry_after: float | None = None  # what a 429 told the bot to wait


@dataclass
class FakeConnector:
    """State and routes of the fake; ``url`` is its service URL (ends with a slash)."""

    bot_rate: int = 30
    enforce_limits: bool = True
    not_installed: set[str] = field(default_factory=set)
    team_members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 2
    monotonic: Callable[[], float] = time.monotonic
    url: str = ""
    calls: list[Received] = field(default_factory=list)
    fail_next: deque[tuple[int, float | None]] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _sent_at: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _bot_sent_at: deque[float] = field(default_factory=deque)

    # -- what tests read ----------------------------------------------------------------------

    def posted(self, conversation: str | None = None) -> list[Received]:
        """Activities accepted as new messages or replies (status 201)."""
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and "/activities" in c.path
            and c.status == 201
            and (conversation is None or c.conversation == conversation)
        ]

    def updated(self) -> list[Received]:
        return [c for c in self.calls if c.method == "PUT" and c.status == 200]

    def refused(self, status: int = 429) -> list[Received]:
        return [c for c in self.calls if c.status == status]

    def uploads(self) -> list[Received]:
        """Files PUT into an upload session (``body``: the bytes and the Content-Range)."""
        return [c for c in self.calls if c.path.startswith("/upload/")]

    def created(self) -> list[Received]:
        return [c for c in self.calls if c.path == "/v3/conversations" and c.status == 201]

    # -- the routes ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post_activity)
        app.router.add_post(
            "/v3/conversations/{conversation}/activities/{activity}", self._post_activity
        )
        app.router.add_put(
            "/v3/conversations/{conversation}/activities/{activity}", self._put_activity
        )
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        app.router.add_put("/upload/{name}", self._upload)
        return app

    def _record(
        self,
        request: web.Request,
        conversation: str,
        body: dict[str, Any],
        status: int,
        retry_after: float | None = None,
    ) -> None:
        self.calls.append(
            Received(
                request.method,
                request.path,
                conversation,
                body,
                status,
                self.monotonic(),
                request.headers.get("Authorization"),
                retry_after,
            )
        )

    def _throttled(self, conversation: str) -> float | None:
        """Seconds to wait when this send would break a limit; else records it and None."""
        if not self.enforce_limits:
            return None
        now = self.monotonic()
        waits: list[float] = []
        for count, seconds in PER_CONVERSATION:
            window = [t for t in self._sent_at[conversation] if t > now - seconds]
            if len(window) >= count:
                waits.append(window[-count] + seconds - now)
        recent = [t for t in self._bot_sent_at if t > now - 1.0]
        if len(recent) >= self.bot_rate:
            waits.append(recent[-self.bot_rate] + 1.0 - now)
        if waits:
            return max(waits)
        self._sent_at[conversation].append(now)
        while self._sent_at[conversation] and self._sent_at[conversation][0] < now - 30:
            self._sent_at[conversation].popleft()
        self._bot_sent_at.append(now)
        while self._bot_sent_at and self._bot_sent_at[0] < now - 1.0:
            self._bot_sent_at.popleft()
        return None

    def _injected(self) -> web.Response | None:
        if not self.fail_next:
            return None
        status, retry_after = self.fail_next.popleft()
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return web.json_response(
            {"error": {"code": "Injected", "message": f"injected {status}"}},
            status=status,
            headers=headers,
        )

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = (body.get("members") or [{}])[0].get("id", "")
        failure = self._injected()
        if failure is not None:
            self._record(request, "", body, failure.status)
            return failure
        if member in self.not_installed:
            self._record(request, "", body, 403)
            return web.json_response(
                {"error": {"code": "Forbidden", "message": "The bot is not installed"}},
                status=403,
            )
        conversation = f"a:1:{member}"
        self._record(request, conversation, body, 201)
        return web.json_response({"id": conversation}, status=201)

    async def _post_activity(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        body = await request.json()
        failure = self._injected()
        if failure is not None:
            self._record(request, conversation, body, failure.status)
            return failure
        wait = self._throttled(conversation)
        if wait is not None:
            retry_after = f"{max(wait, 0.01):.3f}"
            self._record(request, conversation, body, 429, float(retry_after))
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "throttled"}},
                status=429,
                headers={"Retry-After": retry_after},
            )
        activity_id = f"1:{next(self._ids)}"
        self._record(request, conversation, {**body, "id": activity_id}, 201)
        return web.json_response({"id": activity_id}, status=201)

    async def _put_activity(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        body = await request.json()
        failure = self._injected()
        if failure is not None:
            self._record(request, conversation, body, failure.status)
            return failure
        self._record(request, conversation, body, 200)
        return web.json_response({"id": request.match_info["activity"]}, status=200)

    async def _upload(self, request: web.Request) -> web.Response:
        """A OneDrive upload session: takes the whole file in one PUT."""
        content = await request.read()
        body = {"content": content, "range": request.headers.get("Content-Range")}
        self._record(request, "", body, 201)
        return web.json_response({"id": "file-1", "name": request.match_info["name"]}, status=201)

    async def _paged_members(self, request: web.Request) -> web.Response:
        team = request.match_info["conversation"]
        failure = self._injected()
        if failure is not None:
            self._record(request, team, dict(request.query), failure.status)
            return failure
        members = self.team_members.get(team)
        self._record(request, team, dict(request.query), 200 if members is not None else 404)
        if members is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        start = int(request.query.get("continuationToken") or 0)
        page = members[start : start + self.page_size]
        result: dict[str, Any] = {"members": page}
        if start + self.page_size < len(members):
            result["continuationToken"] = str(start + self.page_size)
        return web.json_response(result)


@asynccontextmanager
async def running(connector: FakeConnector) -> AsyncIterator[FakeConnector]:
    """Serve the fake on 127.0.0.1 for the duration of the block."""
    server = TestServer(connector.app(), host="127.0.0.1")
    await server.start_server()
    connector.url = str(server.make_url("/"))
    try:
        yield connector
    finally:
        await server.close()
