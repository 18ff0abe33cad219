"""Bot Framework token validation on one thread of its own, with an event loop that lives as
long as the server.

botbuilder validates a token with coroutines that fetch signing keys with blocking HTTP (once a
day per metadata URL, and at most once an hour for an unknown key id), so it cannot run on the
server's event loop. Running it with ``asyncio.to_thread(asyncio.run, …)`` built and tore down an
event loop per request and took a thread of the default executor each time; under a flood of
forged requests those threads were the same ones the database work of answer clicks waits for.
Here every validation queues for one thread: forged requests compete with each other, not with
the clicks, and a loop is made once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class TokenThread:
    """``await run(coroutine)``: the coroutine's result, computed on the validation thread."""

    def __init__(self, name: str = "teams-token-validation") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop the thread (on server cleanup); a later ``run`` starts a new one."""
        with self._start_lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=_serve, args=(loop,), name=self.name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()
