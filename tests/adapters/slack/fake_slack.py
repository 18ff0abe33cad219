"""A fake Slack Web API on loopback: the methods LearnPulse calls, with Slack's response shapes.

It keeps users, channels, user groups, DMs and their messages (with metadata), paginates with
``response_metadata.next_cursor``, answers a second message to one channel within
``channel_interval`` seconds with HTTP 429 + ``Retry-After`` (Slack's ~1 message per second per
channel), and can inject 429s and 500s, at random, for the next N calls of a method, or for the
next N calls naming one channel or user (a Slack outage seen by one conversation). It also
serves ``response_url`` hooks, the upload URLs of ``files.getUploadURLExternal``, and Socket
Mode as Slack runs it: ``apps.connections.open`` hands out a WebSocket URL whose ticket works
once; each connection starts with ``hello``, carries the envelopes of ``socket_frames`` and the
app's acknowledgements (``{"envelope_id": …}``), and Slack may end it with a ``disconnect``
message (the app is to open a new connection) or by closing it. ``views.open`` takes a trigger
once; a used or expired one gets ``expired_trigger_id``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
APP_TOKEN = "xapp-test-token"
BOT_USER = "U0BOTUSER1"
BOT_ID = "B0BOTID001"
TEAM = "T0NORTHWND"
JSON_BODY = dict[str, Any]
HOOK_USES = 5  # a response_url answers five times (within 30 minutes)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int


@dataclass
class SocketConnection:
    """One Socket Mode WebSocket: who closed it (``"app"`` or ``"slack"``) and with what code."""

    ticket: str
    ws: web.WebSocketResponse
    acks: list[JSON_BODY] = field(default_factory=list)
    closed_by: str | None = None
    close_code: int | None = None


@dataclass
class Faults:
    """What goes wrong: random 429 / 500 rates, and queued failures per method."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    retry_after: str = "1"
    queued: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    by_channel: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    post_then_fail: int = 0  # next N chat.postMessage calls store the message, then answer 500
    seed: int = 7

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)


class FakeSlack:
    """State and HTTP handlers of the fake; ``url`` is its Web API base URL once started.

    It starts with the app's bot user; a test adds the people and channels it needs, and runs
    it with ``async with FakeSlack() as fake``."""

    def __init__(self, channel_interval: float = 0.0, page_size: int | None = None) -> None:
        self.channel_interval = channel_interval
        self.monotonic: Callable[[], float] = time.monotonic  # the clock of channel_interval
        self.page_size = page_size  # force small pages to exercise pagination
        self.faults = Faults()
        self.users: dict[str, JSON_BODY] = {}
        self.hidden_users: dict[str, JSON_BODY] = {}  # found by users.lookupByEmail only
        self.channels: dict[str, list[str]] = {}
        self.groups: dict[str, list[str]] = {}
        self.dms: dict[str, str] = {}
        self.messages: dict[str, list[JSON_BODY]] = defaultdict(list)
        self.calls: list[Call] = []
        self.responses: list[JSON_BODY] = []  # bodies posted to response_url hooks
        self.replaced: list[JSON_BODY] = []  # response_url bodies that replaced a message
        self._hook_messages: dict[str, tuple[str, str]] = {}
        self._hook_uses: dict[str, int] = defaultdict(int)
        self.ephemerals: list[JSON_BODY] = []
        self.views: list[JSON_BODY] = []  # views.open / views.publish
        # A trigger opens one modal: used again (or listed here, Slack's three seconds having
        # passed) views.open answers expired_trigger_id, as Slack does.
        self.expired_triggers: set[str] = set()
        self.uploads: dict[str, bytes] = {}
        self.files: list[JSON_BODY] = []
        self.socket_frames: asyncio.Queue[str] = asyncio.Queue()
        self.socket_acks: list[JSON_BODY] = []
        self.sockets: list[SocketConnection] = []  # every connection, oldest first
        self._tickets: set[str] = set()  # issued by apps.connections.open, not yet used
        self._pump: asyncio.Task[None] | None = None
        self._last_post: dict[str, float] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base = ""
        self.add_user(BOT_USER, is_bot=True, name="learnpulse")  # the app's own bot user

    # --- setup ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{self.base}/api/"

    def add_user(
        self,
        user_id: str,
        tz: str = "America/New_York",
        deleted: bool = False,
        is_bot: bool = False,
        name: str | None = None,
        email: str | None = None,
    ) -> None:
        profile: JSON_BODY = {"display_name": name or "", "real_name": name or f"Person {user_id}"}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM,
            "name": (name or user_id).lower(),
            "deleted": deleted,
            "real_name": name or f"Person {user_id}",
            "tz": tz,
            "tz_label": "Eastern Standard Time",
            "tz_offset": -18000,
            "is_bot": is_bot,
            "is_admin": False,
            "profile": profile,
        }

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/hooks/{id}", self._hook)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def settings(self) -> dict[str, str]:
        """The settings that turn LearnPulse's Slack on over HTTP, against this fake."""
        return {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.url,
        }

    def add_channel(self, channel: str, members: list[str]) -> None:
        """A channel of ``members`` that the bot is in."""
        self.channels[channel] = [*members, BOT_USER]

    def hook_url(self, channel: str | None = None, ts: str | None = None) -> str:
        """A ``response_url``; one of a click on a message (``channel``, ``ts``) can replace it."""
        hook_id = str(next(self._ids))
        if channel is not None and ts is not None:
            self._hook_messages[hook_id] = (channel, ts)
        return f"{self.base}/hooks/{hook_id}"

    def calls_to(self, method: str, status: int | None = 200) -> list[Call]:
        return [
            c for c in self.calls if c.method == method and (status is None or c.status == status)
        ]

    def prompts_for(self, user_id: str) -> list[JSON_BODY]:
        """Messages carrying LearnPulse prompt metadata in the DM with ``user_id``."""
        dm = self.dms.get(user_id)
        return [
            m
            for m in self.messages.get(dm or "", [])
            if (m.get("metadata") or {}).get("event_type") == "learnpulse_prompt"
        ]

    # --- HTTP -------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        response = self._fault(method, params) or self._authorize(method, token, params)
        if response is None:
            handler = getattr(self, "m_" + method.replace(".", "_"), None)
            response = (
                web.json_response({"ok": False, "error": "unknown_method"}, status=404)
                if handler is None
                else handler(params)
            )
        self.calls.append(Call(method, params, response.status))
        return response

    def _authorize(self, method: str, token: str, params: dict[str, Any]) -> web.Response | None:
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return _error("invalid_auth")
        return None

    def _fault(self, method: str, params: dict[str, Any]) -> web.Response | None:
        queued = self.faults.queued.get(method)
        status = queued.pop(0) if queued else None
        for_channel = self.faults.by_channel.get(str(params.get("channel", "")))
        if status is None and for_channel:
            status = for_channel.pop(0)
        if status is None and method in ("chat.postMessage", "chat.update"):
            roll = self.faults.random.random()
            if roll < self.faults.rate_429:
                status = 429
            elif roll < self.faults.rate_429 + self.faults.rate_500:
                status = 500
        if status == 429:
            return _rate_limited(self.faults.retry_after)
        if status is not None:
            return web.json_response({"ok": False, "error": "fatal_error"}, status=status)
        return None

    def _paced(self, channel: str) -> web.Response | None:
        if self.channel_interval <= 0:
            return None
        now = self.monotonic()
        last = self._last_post.get(channel)
        if last is not None and now - last < self.channel_interval:
            return _rate_limited(self.faults.retry_after)
        self._last_post[channel] = now
        return None

    async def _hook(self, request: web.Request) -> web.Response:
        """A ``response_url``: five uses each, as Slack allows; ``replace_original`` edits the
        message the click came from."""
        hook_id = request.match_info["id"]
        self._hook_uses[hook_id] += 1
        if self._hook_uses[hook_id] > HOOK_USES:
            return web.Response(status=404, text="used_url")
        body = await request.json()
        if not body.get("replace_original"):
            self.responses.append(body)
            return web.Response(text="ok")
        channel, ts = self._hook_messages.get(hook_id, ("", ""))
        edited = self._edit(channel, ts, body.get("text", ""), body.get("blocks"))
        if edited is None:
            return web.Response(status=404, text="no_message")
        edited["metadata"] = body.get("metadata") or edited.get("metadata")
        self.replaced.append(body)
        return web.Response(text="ok")

    def _edit(self, channel: str, ts: Any, text: str, blocks: Any) -> JSON_BODY | None:
        """Replace the text and blocks of message ``ts`` in ``channel``; None when it is not
        there."""
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                message["text"] = text
                message["blocks"] = blocks or []
                message["edited"] = {"user": BOT_USER, "ts": message["ts"]}
                return message
        return None

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        part = form.get("file")
        data = part.file.read() if isinstance(part, web.FileField) else b""
        self.uploads[request.match_info["file_id"]] = data
        return web.Response(text=f"OK - {len(data)}")

    @property
    def open_sockets(self) -> list[SocketConnection]:
        return [c for c in self.sockets if c.closed_by is None]

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        """A Socket Mode connection; a ticket that was not issued, or was used, is refused."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = SocketConnection(ticket, ws)
        self.sockets.append(connection)
        hello = {
            "type": "hello",
            "num_connections": len(self.open_sockets),
            "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0LEARNPLS"},
        }
        await ws.send_str(json.dumps(hello))
        if self._pump is not None:  # envelopes go to the newest connection only
            self._pump.cancel()
        self._pump = pumping = asyncio.create_task(self._pump_frames(ws))
        try:
            async for message in ws:
                if message.type.name == "TEXT":
                    ack = json.loads(message.data)
                    connection.acks.append(ack)
                    self.socket_acks.append(ack)
        finally:
            pumping.cancel()
            if connection.closed_by is None:
                connection.closed_by = "app"
            connection.close_code = ws.close_code
        return ws

    async def _pump_frames(self, ws: web.WebSocketResponse) -> None:
        while True:
            await ws.send_str(await self.socket_frames.get())

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's notice that the newest connection is about to go: the app should open
        another."""
        [*_, newest] = self.open_sockets
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        await newest.ws.send_str(json.dumps(message))

    async def close_sockets(self, code: int = 1001) -> None:
        """Slack closes every open connection (a server going away), without notice."""
        for connection in self.open_sockets:
            connection.closed_by = "slack"
            await connection.ws.close(code=code, message=b"going away")

    # --- methods ----------------------------------------------------------------------------

    def m_auth_test(self, params: dict[str, Any]) -> web.Response:
        return _ok(
            url="https://northwind.slack.com/",
            team="Northwind",
            user="learnpulse",
            team_id=TEAM,
            user_id=BOT_USER,
            bot_id=BOT_ID,
            is_enterprise_install=False,
        )

    def m_apps_connections_open(self, params: dict[str, Any]) -> web.Response:
        ticket = f"{next(self._ids):08x}-5e3f-4a1b-9c2d-fake"
        self._tickets.add(ticket)
        return _ok(url=f"ws{self.base.removeprefix('http')}/socket?ticket={ticket}")

    def _resolve(self, channel: str) -> tuple[str | None, str | None]:
        """(conversation id, error) for a channel or user id as chat.postMessage accepts."""
        if channel.startswith(("U", "W")):
            user = self.users.get(channel)
            if user is None:
                return None, "channel_not_found"
            if user["deleted"]:
                return None, "account_inactive"
            return self._dm(channel), None
        if channel in self.channels or (channel.startswith("D") and channel in self.dms.values()):
            return channel, None
        return None, "channel_not_found"

    def _dm(self, user: str) -> str:
        return self.dms.setdefault(user, "D" + user[1:])

    def m_chat_postMessage(self, params: dict[str, Any]) -> web.Response:
        channel, error = self._resolve(str(params.get("channel", "")))
        if error or channel is None:
            return _error(error or "channel_not_found")
        limited = self._paced(channel)
        if limited is not None:
            return limited
        ts = f"{1764500000 + next(self._ts)}.000100"
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "app_id": "A0LEARNPLS",
            "text": params.get("text", ""),
            "ts": ts,
            "team": TEAM,
            "blocks": _json(params.get("blocks")) or [],
        }
        metadata = _json(params.get("metadata"))
        if metadata:
            message["metadata"] = metadata
        self.messages[channel].append(message)
        if self.faults.post_then_fail > 0:
            self.faults.post_then_fail -= 1
            return web.json_response({"ok": False, "error": "fatal_error"}, status=500)
        return _ok(channel=channel, ts=ts, message=message)

    def m_chat_update(self, params: dict[str, Any]) -> web.Response:
        channel = str(params.get("channel", ""))
        limited = self._paced(channel)
        if limited is not None:
            return limited
        message = self._edit(
            channel, params.get("ts"), params.get("text", ""), _json(params.get("blocks"))
        )
        if message is None:
            return _error("message_not_found")
        return _ok(channel=channel, ts=message["ts"], text=message["text"], message=message)

    def m_chat_postEphemeral(self, params: dict[str, Any]) -> web.Response:
        self.ephemerals.append(params)
        return _ok(message_ts=f"{1764500000 + next(self._ts)}.000200")

    def m_conversations_open(self, params: dict[str, Any]) -> web.Response:
        user = str(params.get("users", ""))
        if user not in self.users:
            return _error("user_not_found")
        return _ok(channel={"id": self._dm(user)}, no_op=True, already_open=True)

    def m_conversations_history(self, params: dict[str, Any]) -> web.Response:
        channel = str(params.get("channel", ""))
        if channel not in self.dms.values() and channel not in self.channels:
            return _error("channel_not_found")
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        newest_first = list(reversed(self.messages.get(channel, [])))
        if not with_metadata:
            newest_first = [{k: v for k, v in m.items() if k != "metadata"} for m in newest_first]
        page, cursor = self._page(newest_first, params, default_limit=100)
        return _ok(
            messages=page,
            has_more=bool(cursor),
            pin_count=0,
            response_metadata={"next_cursor": cursor},
        )

    def m_conversations_members(self, params: dict[str, Any]) -> web.Response:
        channel = str(params.get("channel", ""))
        if channel not in self.channels:
            return _error("channel_not_found")
        page, cursor = self._page(self.channels[channel], params, default_limit=100)
        return _ok(members=page, response_metadata={"next_cursor": cursor})

    def m_usergroups_users_list(self, params: dict[str, Any]) -> web.Response:
        group = str(params.get("usergroup", ""))
        if group not in self.groups:
            return _error("no_such_subteam")
        return _ok(users=self.groups[group])

    def m_users_info(self, params: dict[str, Any]) -> web.Response:
        user = self.users.get(str(params.get("user", "")))
        return _ok(user=user) if user else _error("user_not_found")

    def m_users_list(self, params: dict[str, Any]) -> web.Response:
        page, cursor = self._page(list(self.users.values()), params, default_limit=0)
        return _ok(members=page, cache_ts=1764500000, response_metadata={"next_cursor": cursor})

    def m_users_lookupByEmail(self, params: dict[str, Any]) -> web.Response:
        """Finds people ``users.list`` does not page through too (``hidden_users``: guests
        in other workspaces of the organization, as Slack's profile listing leaves out)."""
        email = str(params.get("email", "")).lower()
        for user in [*self.users.values(), *self.hidden_users.values()]:
            if str(user["profile"].get("email", "")).lower() == email:
                return _ok(user=user)
        return _error("users_not_found")

    def m_views_open(self, params: dict[str, Any]) -> web.Response:
        trigger = str(params.get("trigger_id") or "")
        if not trigger:
            return _error("invalid_arguments")
        if trigger in self.expired_triggers:
            return _error("expired_trigger_id")
        self.expired_triggers.add(trigger)
        view = _json(params.get("view")) or {}
        self.views.append(
            {"method": "views.open", "trigger_id": params.get("trigger_id"), "view": view}
        )
        return _ok(view={**view, "id": f"V{next(self._ids):08d}"})

    def m_views_publish(self, params: dict[str, Any]) -> web.Response:
        view = _json(params.get("view")) or {}
        self.views.append(
            {"method": "views.publish", "user_id": params.get("user_id"), "view": view}
        )
        return _ok(view={**view, "id": f"V{next(self._ids):08d}"})

    def m_files_getUploadURLExternal(self, params: dict[str, Any]) -> web.Response:
        file_id = f"F{next(self._ids):08d}"
        return _ok(upload_url=f"{self.base}/upload/{file_id}", file_id=file_id)

    def m_files_completeUploadExternal(self, params: dict[str, Any]) -> web.Response:
        files = _json(params.get("files")) or []
        for f in files:
            if f.get("id") not in self.uploads:
                return _error("file_not_found")
        self.files.append({**params, "files": files})
        return _ok(files=[{"id": f["id"], "title": f.get("title", "")} for f in files])

    def _page(
        self, items: list[Any], params: dict[str, Any], default_limit: int
    ) -> tuple[list[Any], str]:
        limit = int(params.get("limit") or default_limit or len(items) or 1)
        if self.page_size:
            limit = min(limit, self.page_size)
        start = int(str(params.get("cursor") or "0").removeprefix("offset:") or 0)
        end = start + limit
        cursor = f"offset:{end}" if end < len(items) else ""
        return items[start:end], cursor


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        text = await request.text()
        if request.content_type == "application/json":
            params.update(json.loads(text or "{}"))
        else:
            params.update(dict(parse_qsl(text, keep_blank_values=True)))
    return params


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _ok(**body: Any) -> web.Response:
    return web.json_response({"ok": True, **body})


def _error(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})


def _rate_limited(retry_after: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": retry_after}
    )
