"""The delivery ledger: one row per occurrence and person, inserted once, claimed, recorded.

"Exactly once" is a property of the table, not of Python: the unique constraint makes a second
insert a no-op, a claim moves rows from ``pending`` to ``sending`` atomically (with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several processes can share the work), and a row
left in ``sending`` by a crash is reconciled by asking the platform before anything is resent.

One module per job: ``plan`` (a delivery per member), ``claim`` (claims, their lease, the
stale ones), ``record`` (outcomes), ``budget`` (the weekly prompt counts) and ``windows``
(reminders and expiry). The SQL that differs per dialect stays beside its twin in its job's
module. The names below are the ledger as the sender uses it.
"""

from surveys.ledger.budget import weekly_usage
from surveys.ledger.claim import Claimed, claim_due, release, renew_claims, stale_sending
from surveys.ledger.plan import member_time_zones, plan_for_members
from surveys.ledger.record import Outcome, count_by_status, mark_sent, record_outcomes, retry_delay
from surveys.ledger.windows import OpenPrompt, claim_reminders, expire_due, set_message

__all__ = [
    "Claimed",
    "OpenPrompt",
    "Outcome",
    "claim_due",
    "claim_reminders",
    "count_by_status",
    "expire_due",
    "mark_sent",
    "member_time_zones",
    "plan_for_members",
    "record_outcomes",
    "release",
    "renew_claims",
    "retry_delay",
    "set_message",
    "stale_sending",
    "weekly_usage",
]
