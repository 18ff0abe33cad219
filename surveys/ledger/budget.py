"""The weekly prompt budget's counts: what each person was already sent this local week, and
which key measures are still due to them in it.

The sender asks once per batch, for every person of the batch, and an ad-hoc asking's preview
asks who would be over budget; the rule itself (how many prompts a week, key measures first)
is theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, and_, or_, select

from storage.db import reading
from storage.tables import ANNOUNCEMENT_PRIORITY, OPEN_STATUSES, Delivery, DeliveryStatus, table_of
from surveys.ledger.id_lists import one_of

DELIVERIES = table_of(Delivery)


def weekly_usage(
    engine: Engine,
    person_ids: Sequence[int],
    week: dict[int, tuple[datetime, datetime]],
    now: datetime,
    deciding: Sequence[int] = (),
) -> dict[int, tuple[int, int]]:
    """Per person: prompts already sent this local week, and key measures still due this week.

    A prompt claimed for sending but not yet recorded (an earlier batch's last sends, or another
    sender's) counts as sent now; ``deciding`` are the claims being decided, which do not.
    """
    if not person_ids:
        return {}
    table = DELIVERIES
    earliest = min(start for start, _ in week.values())
    latest = max(end for _, end in week.values())
    sent_states = [
        s.value for s in (*OPEN_STATUSES, DeliveryStatus.ANSWERED, DeliveryStatus.EXPIRED)
    ]
    # Each person's few deliveries are found by person; by status, SQLite would walk every
    # pending or sent delivery of the organization for each batch (status || '' is not indexed).
    status = table.c.status.concat("")
    with reading(engine).begin() as connection:
        dialect = connection.dialect.name
        theirs = one_of(table.c.person_id, person_ids, dialect)
        sent = connection.execute(
            select(table.c.person_id, table.c.sent_at).where(
                theirs,
                table.c.priority != ANNOUNCEMENT_PRIORITY,  # announcements are budget-free
                or_(
                    and_(
                        status.in_(sent_states),
                        table.c.sent_at >= earliest,
                        table.c.sent_at < latest,
                    ),
                    and_(
                        status == DeliveryStatus.SENDING.value,
                        ~one_of(table.c.id, deciding, dialect),
                    ),
                ),
            )
        ).all()
        keys = connection.execute(
            select(table.c.person_id, table.c.due_at).where(
                theirs,
                status == DeliveryStatus.PENDING.value,
                table.c.priority == 0,
                table.c.due_at > now,
                table.c.due_at < latest,
            )
        ).all()
    usage: dict[int, tuple[int, int]] = {pid: (0, 0) for pid in person_ids}
    for pid, at in sent:
        start, end = week[pid]
        if start <= (at or now) < end:  # an unrecorded claim has no sent_at yet
            usage[pid] = (usage[pid][0] + 1, usage[pid][1])
    for pid, at in keys:
        start, end = week[pid]
        if start <= at < end:
            usage[pid] = (usage[pid][0], usage[pid][1] + 1)
    return usage
