"""The hostile side of ``bench.hostile_load``, in a process of its own.

Run as ``python -m bench.hostile_clients --url URL --token TOKEN --clients N --bytes B``: it
builds one Teams activity of about B bytes (a message padded with @mention entities, the kind
of body botbuilder's deserializer spends the longest on), prints ``ready``, waits for a line on
stdin, then POSTs it with N concurrent clients, each starting again as soon as it has its
answer, until stdin closes; then it prints one JSON line ``{"requests", "statuses",
"megabytes", "seconds", "cpu_seconds"}``. The token is a well-formed Bot Framework JWT signed by
a key the server does not trust, so refusing it costs the server a real signature check.
``hostile_load`` is the parent's side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.adapters.teams import activities

REPOSITORY = Path(__file__).resolve().parents[1]
SERVICE_URL = "https://smba.trafficmanager.net/amer/"  # what a real activity would name


@dataclass
class Hostility:
    """What the hostile clients did while they ran."""

    requests: int
    statuses: dict[str, int]
    megabytes: float  # request bodies sent, as far as the server let them be sent
    seconds: float
    cpu_seconds: float


async def assail(url: str, token: str, clients: int, size: int) -> Hostility:
    """POST the padded activity with ``clients`` concurrent clients until stdin closes."""
    activity = activities.bloated_message(SERVICE_URL, activities.EMPLOYEE_AAD, size)
    body = json.dumps(activity).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    statuses: Counter[str] = Counter()
    stop = asyncio.Event()

    async def client(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[str(response.status)] += 1
            except aiohttp.ClientError as exc:  # the server may close before the upload ends
                statuses[type(exc).__name__] += 1

    connector = aiohttp.TCPConnector(limit=clients, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        started, cpu_started = time.perf_counter(), time.process_time()
        running = [asyncio.create_task(client(session)) for _ in range(clients)]
        await asyncio.to_thread(sys.stdin.read)  # until the parent closes stdin
        stop.set()
        await asyncio.gather(*running)
        seconds = time.perf_counter() - started
    requests = sum(statuses.values())
    return Hostility(
        requests,
        dict(statuses),
        requests * len(body) / 1e6,
        seconds,
        time.process_time() - cpu_started,
    )


@dataclass
class HostileRun:
    """The parent's handle: ``go()`` lets the clients loose; once the ``hostile_clients``
    block has ended, ``result`` holds what they did."""

    stdin: asyncio.StreamWriter
    result: Hostility | None = None

    async def go(self) -> None:
        self.stdin.write(b"go\n")
        await self.stdin.drain()


@asynccontextmanager
async def hostile_clients(
    url: str, token: str, clients: int, size: int
) -> AsyncIterator[HostileRun]:
    """Start the clients' process and wait until it is ready; they stop when the block ends."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.hostile_clients",
        "--url",
        url,
        "--token",
        token,
        "--clients",
        str(clients),
        "--bytes",
        str(size),
        cwd=REPOSITORY,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    run = HostileRun(child.stdin)
    try:
        if (await child.stdout.readline()).strip() != b"ready":
            raise RuntimeError("the hostile clients failed before they were ready")
        yield run
    finally:
        child.stdin.close()
        line = await child.stdout.readline()
        await child.wait()
        if line:
            run.result = Hostility(**json.loads(line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--bytes", type=int, required=True)
    args = parser.parse_args()
    done = asyncio.run(assail(args.url, args.token, args.clients, args.bytes))
    print(json.dumps(done.__dict__), flush=True)


if __name__ == "__main__":
    main()
