"""Helpers shared across the suite: the real server on loopback (in this process or as a
subprocess), the ``learnpulse`` command line run as a process, and a walk through JSON trees
(Block Kit, Adaptive Cards)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
# The suite's "now": Monday 2026-11-30 08:00 UTC (the ``clock`` fixture starts here too).
MONDAY_MORNING = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
PINNED = "LEARNPULSE_NOW"


@asynccontextmanager
async def serving(web_app: web.Application) -> AsyncIterator[str]:
    """``web_app`` on a free loopback port, without access logs; its base URL while in use."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(now: datetime | None = None, **extra: str) -> dict[str, str]:
    """The environment minus any platform settings of the machine, plus ``extra``.

    ``now`` starts the process's clock there (``LEARNPULSE_NOW``), so what it decides does not
    depend on the day the test runs.
    """
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "LEARNPULSE_"))
    }
    env.pop("DATABASE_URL", None)
    if now is not None:
        env[PINNED] = now.isoformat()
    env.update(extra)
    return env


def run_bot(
    *args: str, env: Mapping[str, str], cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``learnpulse ARGS`` (``python -m bot``) to its end: exit code, stdout and stderr.

    ``env`` comes from ``base_env(now=...)``: the process's clock is pinned, so what it decides
    does not depend on the day the test runs. An async test calls this through
    ``asyncio.to_thread`` so that its event loop, and the platform fakes the loop serves, keep
    answering while the command runs.
    """
    _require_pinned_clock(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def running_server(
    args: list[str],
    env: dict[str, str],
    port: int,
    timeout: float = 30,
    cwd: Path = ROOT,
    output: IO[str] | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """Start ``learnpulse ARGS`` and wait until it accepts connections on ``port``; stop it
    afterwards. What it prints goes to ``output`` when given, else to ``process.stdout``.
    ``env`` pins the clock, as for ``run_bot``."""
    _require_pinned_clock(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        stdout=output if output is not None else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                printed = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"server exited with {process.returncode}: {printed}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start in time")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _require_pinned_clock(env: Mapping[str, str]) -> None:
    if PINNED not in env:
        raise AssertionError("pin the clock of the process: base_env(now=...)")


async def get_json(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


def nodes_where(tree: Any, wanted: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every mapping in a JSON tree (a card, a message's blocks) for which ``wanted`` holds,
    in document order, nested ones after the mapping that holds them."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        if wanted(tree):
            found.append(tree)
        for value in tree.values():
            found.extend(nodes_where(value, wanted))
    elif isinstance(tree, list):
        for value in tree:
            found.extend(nodes_where(value, wanted))
    return found
