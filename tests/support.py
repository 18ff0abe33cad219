"""Helpers for tests that run the real server on loopback, in this process or as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent


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
        env["LEARNPULSE_NOW"] = now.isoformat()
    env.update(extra)
    return env


@contextmanager
def running_server(
    args: list[str], env: dict[str, str], port: int, timeout: float = 30
) -> Iterator[subprocess.Popen[str]]:
    """Start ``learnpulse ARGS`` and wait until ``/healthz`` answers; stop it afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"server exited with {process.returncode}: {output}")
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


async def get_json(url: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()
