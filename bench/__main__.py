"""Run every benchmark with ``--quick`` (``make bench``); extra arguments are passed on."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "delivery_plan",
    "slack_fanout",
    "slack_faults",
    "slack_clicks",
    "hostile_load",
    "teams_fanout",
    "digest_scale",
    "theme_extraction",
    "audience_refresh",
    "survey_command",
    "clicks_during_refresh",
    "replica_fanout",
    "attribute_store",
)

failed = 0
for name in BENCHMARKS:
    print(f"== bench.{name}", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick", *sys.argv[1:]], check=False
    )
    failed += result.returncode != 0
sys.exit(1 if failed else 0)
