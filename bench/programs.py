"""The one-workstream, one-question program the fan-out and click benchmarks run on."""

from __future__ import annotations

WORKSTREAM = "bench"
QUESTION = "bench-q"


def one_question_program(
    platform: str, admin: str, lead: str, digest_to: str, audience: str
) -> str:
    """A valid program whose only workstream asks one weekly key measure of ``audience``."""
    return f"""\
program: {platform} benchmark
timezone: America/New_York
working_days: [mon, tue, wed, thu, fri]
working_hours: ["09:00", "17:00"]
max_prompts_per_week: 5
anonymity: {{min_responses: 5, min_comments: 5, mode: confidential}}
admins: ["{admin}"]
workstreams:
  - id: {WORKSTREAM}
    name: Benchmark workstream
    lead: {lead}
    digest_to: {digest_to}
    digest: {{cadence: weekly, on: fri, at: "16:00"}}
    phase: organization
    audience: [{audience}]
    questions:
      - id: {QUESTION}
        ask: How easy was it to find the learning you needed this week?
        kind: scale
        cadence: weekly
        on: mon
        at: "10:00"
        key_measure: true
        target: 4.0
        comment: optional
"""
