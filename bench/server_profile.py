"""CPU profile of the server process during a benchmark, its own worker threads included.

``cProfile`` only sees the thread that enabled it, and the server does its database work in the
event loop's default executor; so ``profiled()`` installs a fresh default executor whose threads
each enable their own profiler, and merges them with the event loop thread's at the end. The
timer is per-thread CPU time, so waiting (on the GIL, a socket, a lock) does not count.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

GROUPS = (  # (group, substrings of a function's file or built-in name), first match wins
    ("slack_bolt", ("slack_bolt",)),
    ("slack_sdk client", ("slack_sdk",)),
    ("aiohttp", ("aiohttp", "multidict", "yarl", "frozenlist", "aiosignal")),
    ("sqlalchemy / sqlmodel", ("sqlalchemy", "sqlmodel")),
    ("database driver", ("sqlite3", "psycopg")),
    ("pydantic", ("pydantic",)),
    ("ours: adapters/", ("/adapters/",)),
    ("ours: surveys/", ("/surveys/",)),
    ("ours: bot/", ("/bot/",)),
    ("ours: storage/", ("/storage/",)),
    ("urllib.parse (form bodies)", ("urllib/parse",)),
    ("logging", ("logging",)),
    ("asyncio", ("asyncio", "selectors", "select.epoll")),
    ("json", ("json",)),
    ("crypto / signing", ("hmac", "hashlib", "cryptography", "_hashlib")),
    ("threads", ("threading", "concurrent", "queue")),
)


def group_of(filename: str, name: str) -> str:
    where = f"{filename} {name}" if filename == "~" else filename
    for group, needles in GROUPS:
        if any(needle in where for needle in needles):
            return group
    return "other"


def own_time_by_group(entries: dict[Any, Any]) -> dict[str, float]:
    """Own time per group; a built-in that belongs to no group (``list.append``, ``isinstance``)
    counts for the groups of its callers, in proportion to the time each caller spent in it."""
    by_group: dict[str, float] = defaultdict(float)
    for (filename, _, name), (_, _, tottime, _, callers) in entries.items():
        group = group_of(filename, name)
        if group != "other" or filename != "~" or not callers:
            by_group[group] += tottime
            continue
        for (caller_file, _, caller_name), caller_entry in callers.items():
            by_group[group_of(caller_file, caller_name)] += caller_entry[2]
    return by_group


@contextmanager
def profiled(loop: asyncio.AbstractEventLoop, report: io.StringIO) -> Iterator[None]:
    """Profile this thread and every executor thread started inside; write the report at exit."""
    profiles: list[cProfile.Profile] = []

    def start_in_thread(frame: FrameType, event: str, arg: Any) -> None:
        sys.setprofile(None)
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()

    main = cProfile.Profile(time.thread_time)
    threading.setprofile(start_in_thread)
    executor = ThreadPoolExecutor(thread_name_prefix="profiled")
    loop.set_default_executor(executor)
    main.enable()
    try:
        yield
    finally:
        main.disable()
        threading.setprofile(None)
        loop.set_default_executor(ThreadPoolExecutor())
        executor.shutdown(wait=True)  # its threads, and so their profilers, are done
        stats = pstats.Stats(main, stream=report)
        for profile in profiles:
            stats.add(profile)
        dump = Path(tempfile.gettempdir()) / "learnpulse-server.pstats"
        stats.dump_stats(dump)
        report.write(f"raw profile: {dump} (python -m pstats)\n")
        write_report(stats, report)


def write_report(stats: pstats.Stats, out: io.StringIO) -> None:
    # typeshed does not declare pstats.Stats.stats, the table every report of pstats reads
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values()) or 1.0
    by_group = own_time_by_group(entries)
    out.write(f"server CPU time profiled: {total:.2f} s (own time by group)\n")
    for group, seconds in sorted(by_group.items(), key=lambda item: -item[1]):
        out.write(f"  {group:<28} {seconds:7.2f} s  {seconds / total:6.1%}\n")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
