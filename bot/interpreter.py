"""How the server process runs Python: thread switching and the garbage collector.

``serve`` calls ``tune()`` before it loads anything and ``freeze_startup_objects()`` once it is
up; the benchmarks call both on each side they compare, so neither side has an edge.
"""

from __future__ import annotations

import gc
import sys

# Database work runs in worker threads beside a busy event loop; with CPython's default 5 ms
# switch interval each short database call can wait that long for the interpreter.
SWITCH_INTERVAL_SECONDS = 0.0005

# A click allocates many short-lived objects (its payload, its reply's blocks); CPython's
# default runs a youngest-generation pass every 700 net allocations, and each pass moves
# survivors towards the full collections. With the startup objects frozen, passes 14 times
# rarer still took the click benchmark from 0.91 to 0.86 ms of CPU per click; what waits for
# the next pass is a few megabytes at most.
YOUNGEST_GENERATION_THRESHOLD = 10_000


def tune() -> None:
    """Set the switch interval and the collector's thresholds for a long-running server."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, middle, oldest)


def freeze_startup_objects() -> None:
    """Move everything alive now out of the collector's sight, for good.

    Startup loads the program, the ORM's mappings, the chat SDKs and the sentiment model: some
    170,000 objects that live as long as the process. Every full collection walked all of them
    (in the click benchmark, seven of them took 0.9 s of 3,000 clicks' CPU time). They are not
    garbage and never will be, so the collector no longer looks at them (``gc.freeze``); what
    is created later is collected as before.
    """
    gc.collect()
    gc.freeze()
