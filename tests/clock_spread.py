"""Run the suite with the machine's clock moved to dates that break date-bound code.

Every test takes its time from an injected clock, or from ``LEARNPULSE_NOW`` when it runs the
server or the CLI in a process of its own; this run proves it. It moves the wall clock of the
test processes (and of every process they start) with libfaketime, to a holiday, the day
daylight saving time starts, the last minute of a day and a Sunday, and runs the suite on SQLite
at each. Without libfaketime (Debian's ``faketime`` package) it says so and does nothing.

Usage: python -m tests.clock_spread [pytest arguments]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPREAD = {
    "Christmas Day, a holiday (09:00 in New York)": datetime(2026, 12, 25, 14, 0, tzinfo=UTC),
    "daylight saving time starts in New York (01:59, a Sunday)": datetime(
        2027, 3, 14, 6, 59, 30, tzinfo=UTC
    ),
    "23:59 UTC, the last minute of a working day": datetime(2026, 12, 8, 23, 59, 30, tzinfo=UTC),
    "23:59 in Tokyo on New Year's Eve": datetime(2026, 12, 31, 14, 59, 30, tzinfo=UTC),
    "a Sunday afternoon": datetime(2026, 12, 6, 15, 0, tzinfo=UTC),
}

LIBRARY_PLACES = ("/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime",
                  "/usr/lib/faketime", "/usr/local/lib/faketime")  # fmt: skip


def libfaketime() -> Path | None:
    for place in LIBRARY_PLACES:
        candidate = Path(place) / "libfaketime.so.1"
        if candidate.exists():
            return candidate
    return None


def main(pytest_args: list[str]) -> int:
    library = libfaketime()
    if library is None:
        print("clock spread: libfaketime is not installed (Debian: faketime); skipped")
        return 0
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "LEARNPULSE_NOW")}
    for name, when in SPREAD.items():
        offset = round(when.timestamp() - time.time())
        print(f"clock spread: {name}: {when.isoformat()}", flush=True)
        run_env = {
            **env,
            "LD_PRELOAD": str(library),
            "FAKETIME": f"{offset:+d}s",  # relative, so every child process agrees on the time
            "FAKETIME_DONT_RESET": "1",
        }
        command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                   "-m", "not browser", *pytest_args]  # fmt: skip
        code = subprocess.call(command, cwd=ROOT, env=run_env)
        if code != 0:
            print(f"clock spread: the suite failed with the clock at {when.isoformat()} ({name})")
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
