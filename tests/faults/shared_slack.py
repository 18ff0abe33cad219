"""The fake Slack as several replicas share it: one listening port per replica, so every call is
known by the replica that made it, and an outage on demand (Slack refusing connections).

During an outage the listening sockets are closed, so a new connection is refused; connections
already open are cut, and a request that still arrives on one is cut without an answer. The
outage can begin in the middle of a post: the next ``cut_after_storing`` messages are stored,
then their connection is cut, so the sender cannot know whether they arrived.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from aiohttp import web

from tests.adapters.slack.fake_slack import FakeSlack
from tests.support import free_port

POST = "chat.postMessage"


class SharedSlack(FakeSlack):
    """``listeners`` extra ports, one per replica (``url_for``); ``posts_through`` counts the
    prompts each port has carried."""

    def __init__(self, listeners: int) -> None:
        super().__init__()
        self.ports = [free_port() for _ in range(listeners)]
        self.posted_through: Counter[int] = Counter()  # listener index -> prompts stored
        self.down = False
        self.cut_after_storing = 0
        self.on_post: Callable[[int, int], None] | None = None  # (listener, its posts so far)
        self._sites: list[web.TCPSite] = []

    def url_for(self, listener: int) -> str:
        return f"http://127.0.0.1:{self.ports[listener]}/api/"

    async def start(self) -> SharedSlack:
        await super().start()
        await self._listen()
        return self

    async def _listen(self) -> None:
        assert self._runner is not None
        self._sites = [web.TCPSite(self._runner, "127.0.0.1", port) for port in self.ports]
        for site in self._sites:
            await site.start()

    async def go_down(self, cut_after_storing: int = 0) -> None:
        """Refuse connections from now on: listening sockets closed, open connections cut."""
        self.down = True
        self.cut_after_storing = cut_after_storing
        if cut_after_storing:
            return  # the listeners close once the posts in flight have been cut
        await self._close_listeners()

    async def _close_listeners(self) -> None:
        for site in self._sites:
            await site.stop()
        self._sites = []
        assert self._runner is not None and self._runner.server is not None
        for handler in self._runner.server.connections:
            if handler.transport is not None:
                handler.transport.abort()

    async def come_back(self) -> None:
        """Listen again on the same ports."""
        self.down = False
        await self._listen()

    def _listener(self, request: web.Request) -> int | None:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        port = sockname[1] if sockname else None
        return self.ports.index(port) if port in self.ports else None

    async def _api(self, request: web.Request) -> web.Response:
        listener = self._listener(request)
        if self.down and not self.cut_after_storing:
            return _cut(request)
        response = await super()._api(request)
        stored = request.match_info["method"] == POST and response.status == 200
        if self.down and stored:  # stored, but its sender never hears so
            self.cut_after_storing -= 1
            if not self.cut_after_storing:
                await self._close_listeners()
            return _cut(request)
        if stored and listener is not None:
            self.posted_through[listener] += 1
            if self.on_post is not None:
                self.on_post(listener, self.posted_through[listener])
        return response


def _cut(request: web.Request) -> web.Response:
    """The connection ends without an answer."""
    if request.transport is not None:
        request.transport.abort()
    raise ConnectionResetError("the fake Slack is down")
