"""Each company-scale benchmark runs end to end at a tiny size, so the scripts do not rot.

No timing is asserted here (speed targets live in ``bench/`` and ``bench/RESULTS.md``): what is
checked is that each benchmark completes against the fake Slack and the real server, and that
what it counts holds (everyone listed and stored, every prompt sent once, every click's prompt
re-rendered).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.factories import ROOT

TINY = "200"


def run_bench(name: str, *args: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick", "--people", TINY, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    return finished.stdout


@pytest.mark.slow
def test_the_audience_refresh_benchmark_stores_everyone_the_anchor_stores() -> None:
    out = run_bench("audience_refresh")
    assert "(200 memberships)" in out  # ours and the anchor wrote the same rows (asserted)
    assert "ratio" in out


@pytest.mark.slow
def test_the_survey_command_benchmark_prompts_everyone_on_both_sides() -> None:
    out = run_bench("survey_command")
    assert "throughput ratio" in out


@pytest.mark.slow
def test_the_clicks_during_refresh_benchmark_sees_every_prompt_re_rendered() -> None:
    out = run_bench("clicks_during_refresh")
    assert out.count(" 0 without a re-render") == 3  # the anchor, the round and the result
    assert "stored 200 people" in out


@pytest.mark.slow
def test_the_replica_fanout_benchmark_prompts_each_person_once_with_two_replicas() -> None:
    out = run_bench("replica_fanout", "--replicas", "1,2")
    assert "200 prompts for 200 people" in out
    assert "2 replica(s):" in out
