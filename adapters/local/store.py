"""The playground's chat history in the ``local_message`` table: one row per message.

A person's 1:1 chat with the bot is the conversation ``dm:<person reference>``; a channel is its
own reference (``slack:channel:C0LMSLEAD1``). Bodies are JSON (see ``codec``): ``kind`` is
``prompt``, ``report`` or ``file``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from storage.db import session_scope
from storage.tables import LocalMessage

DM_PREFIX = "dm:"


def dm(person: str) -> str:
    """The conversation id of a person's 1:1 chat with the bot."""
    return DM_PREFIX + person


@dataclass(frozen=True)
class StoredMessage:
    """One message of a conversation, as the page reads it."""

    id: int
    conversation: str
    delivery_id: int | None
    body: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", "report"))


def _stored(row: LocalMessage) -> StoredMessage:
    assert row.id is not None
    return StoredMessage(
        id=row.id,
        conversation=row.conversation,
        delivery_id=row.delivery_id,
        body=dict(row.body),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def add(
    engine: Engine,
    conversation: str,
    body: dict[str, Any],
    now: datetime,
    delivery_id: int | None = None,
) -> int:
    """Store a new message; returns its id (the message id of its ``MessageRef``)."""
    with session_scope(engine) as session:
        row = LocalMessage(
            conversation=conversation,
            delivery_id=delivery_id,
            body=body,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def replace(
    engine: Engine, conversation: str, message_id: int, body: dict[str, Any], now: datetime
) -> bool:
    """Replace a message's body in place; False when no such message is in that conversation."""
    with session_scope(engine) as session:
        row = session.get(LocalMessage, message_id)
        if row is None or row.conversation != conversation:
            return False
        row.body = body
        row.updated_at = now
        session.add(row)
        return True


def find_delivery(engine: Engine, conversation: str, delivery_id: int) -> int | None:
    """The newest message carrying ``delivery_id`` in a conversation, if any."""
    with session_scope(engine) as session:
        found = session.exec(
            select(LocalMessage.id)
            .where(LocalMessage.conversation == conversation)
            .where(LocalMessage.delivery_id == delivery_id)
            .order_by(col(LocalMessage.id).desc())
            .limit(1)
        ).first()
        return int(found) if found is not None else None


def get(engine: Engine, message_id: int) -> StoredMessage | None:
    with session_scope(engine) as session:
        row = session.get(LocalMessage, message_id)
        return _stored(row) if row is not None else None


def history(engine: Engine, conversation: str, limit: int = 60) -> list[StoredMessage]:
    """The last ``limit`` messages of a conversation, oldest first."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(LocalMessage)
            .where(LocalMessage.conversation == conversation)
            .order_by(col(LocalMessage.id).desc())
            .limit(limit)
        ).all()
        return [_stored(row) for row in reversed(rows)]
