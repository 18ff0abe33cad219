"""The load generator of the click benchmark, in a process of its own.

Run as ``python -m bench.click_load --url URL --bodies FILE --clients N [--rate R]``: it reads
the bodies (a JSON list of strings), signs every one of them up front, prints ``ready``, waits
for a line on stdin, then POSTs them with ``N`` concurrent clients and prints one JSON line
``{"seconds", "latencies", "cpu_seconds", "due_at"}``. Without ``--rate`` each client sends
its next click as soon as it has the answer to the last (as fast as the server goes); with it,
click ``i`` is due ``i / R`` seconds after the start whatever the answers, and its latency counts
from then, so time a click spent waiting for a free client counts too; ``due_at`` then holds
when each click was due, in the order of the bodies, on ``time.monotonic()`` (one clock for
every process of the machine). Keeping it out of the measured process means the clients take no
CPU from the server; ``click_load`` is the parent's side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.adapters.slack.payloads import FORM, signed_headers

REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass
class Hammered:
    seconds: float
    latencies: list[float]
    cpu_seconds: float  # the clients' own CPU time while they ran
    due_at: list[float]  # with a rate: when each click was due (time.monotonic), by body


async def hammer(url: str, bodies: list[str], clients: int, rate: float | None = None) -> Hammered:
    """POST every body with ``clients`` concurrent clients, once stdin says go; at ``rate``
    clicks a second when given, else as fast as the answers come."""
    signed = [(body.encode(), signed_headers(body, FORM)) for body in bodies]
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for request in signed:
        queue.put_nowait(request)
    latencies: list[float] = []
    due_at = [0.0] * len(bodies) if rate is not None else []
    monotonic_started = 0.0
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            while not queue.empty():
                data, headers = queue.get_nowait()
                started = time.perf_counter()
                async with session.post(url, data=data, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - started)

        async def paced(number: int, data: bytes, headers: dict[str, str]) -> None:
            assert rate is not None
            due = started + number / rate
            due_at[number] = monotonic_started + number / rate
            await asyncio.sleep(due - time.perf_counter())
            async with session.post(url, data=data, headers=headers) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append(time.perf_counter() - due)

        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        started, cpu_started = time.perf_counter(), time.process_time()
        monotonic_started = time.monotonic()
        if rate is None:
            await asyncio.gather(*(client() for _ in range(clients)))
        else:
            await asyncio.gather(*(paced(n, *request) for n, request in enumerate(signed)))
        return Hammered(
            time.perf_counter() - started, latencies, time.process_time() - cpu_started, due_at
        )


RESULT_BYTES_PER_CLICK = 64  # a latency and a due time in the result line, with room to spare


@asynccontextmanager
async def click_load(
    url: str, bodies: list[str], clients: int, rate: float | None = None
) -> AsyncIterator[Callable[[], Coroutine[Any, Any, Hammered]]]:
    """Start the generator, wait until it is ready; the yielded ``go()`` starts it and returns
    its timings once it is done. Whatever the caller does between ``go`` and its result (such
    as watching the database) happens while the clients run."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(bodies, file)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.click_load",
        "--url",
        url,
        "--bodies",
        file.name,
        "--clients",
        str(clients),
        *(["--rate", str(rate)] if rate is not None else []),
        cwd=REPOSITORY,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=RESULT_BYTES_PER_CLICK * len(bodies) + 2**16,  # the result is one line
    )
    assert child.stdin is not None and child.stdout is not None
    stdin, stdout = child.stdin, child.stdout

    async def go() -> Hammered:
        stdin.write(b"go\n")
        await stdin.drain()
        line = await stdout.readline()
        if not line:
            raise RuntimeError("the load generator failed (see its error above)")
        result = json.loads(line)
        return Hammered(
            result["seconds"], result["latencies"], result["cpu_seconds"], result["due_at"]
        )

    try:
        if (await stdout.readline()).strip() != b"ready":
            raise RuntimeError("the load generator failed before it was ready")
        yield go
    finally:
        stdin.close()
        await child.wait()
        Path(file.name).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--rate", type=float, default=None)
    args = parser.parse_args()
    bodies = json.loads(Path(args.bodies).read_text(encoding="utf-8"))
    done = asyncio.run(hammer(args.url, bodies, args.clients, args.rate))
    timings = {
        "seconds": done.seconds,
        "latencies": done.latencies,
        "cpu_seconds": done.cpu_seconds,
        "due_at": done.due_at,
    }
    print(json.dumps(timings), flush=True)


if __name__ == "__main__":
    main()
