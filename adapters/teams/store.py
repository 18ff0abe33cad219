"""Durable Teams state, encrypted at rest in the ``conversation_reference`` table.

Two kinds of rows share the table, told apart by key:

- ``teams:<aad-object-id>``, ``teams:channel:<id>``, ``teams:team:<id>``: the Bot Framework
  conversation reference (service URL, conversation, bot, tenant) that proactive sends need.
  Written on install; a later activity rewrites it only when it changed (``refresh``), so an
  answer's click never touches the row.
- ``teams:prompt:<delivery-id>``: where a prompt went. Teams gives bots no way to read a chat's
  history, so ``find_prompt`` cannot look for a lost message after a crash; instead the adapter
  writes this row *before* sending (state ``sending``) and completes it with the activity id
  *after* the Bot Connector accepts the message (state ``sent``); a send the Bot Connector
  refuses removes the row. Reconciliation then reads it: absent means not delivered, ``sent``
  gives the message, and ``sending`` means the process stopped mid-call, the outcome is unknown,
  and it is answered as "arrived" so that the prompt is never sent twice.
- ``teams:file:<token>``: a file offered to a person, waiting for their consent (``files.py``).
  The key holds only a random token; the document's ``person`` says whom it waits for, which is
  how erasure (``surveys/mydata.py``) finds and removes a person's waiting files.

The functions are synchronous (they run in a worker thread) and never log what they store.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.tables import ConversationReference

if TYPE_CHECKING:
    from bot.app import LearnPulse

PROMPT_PREFIX = "teams:prompt:"
FILE_PREFIX = "teams:file:"
STATE_PREFIXES = (PROMPT_PREFIX, FILE_PREFIX)  # rows that are not conversation references
SENDING = "sending"
SENT = "sent"


def prompt_key(delivery_id: int) -> str:
    return f"{PROMPT_PREFIX}{delivery_id}"


def file_key(token: str) -> str:
    return f"{FILE_PREFIX}{token}"


def refresh(core: LearnPulse, key: str, document: dict[str, Any]) -> None:
    """Store ``document`` under ``key`` only when it differs from what is stored (a new chat,
    a moved service URL). Activities that answer a prompt pass through here, and rewriting the
    row (and its ``updated_at``) on each would date the person's click in the database."""
    if load(core, key) != document:
        save(core, key, document)


def save(core: LearnPulse, key: str, document: dict[str, Any]) -> None:
    """Insert or replace the encrypted document stored under ``key``."""
    sealed = core.vault.encrypt(json.dumps(document, sort_keys=True))
    now = core.clock.now()
    for _ in range(2):  # a concurrent first insert of the same key turns into an update
        try:
            with core.session() as session:
                row = session.get(ConversationReference, key)
                if row is None:
                    session.add(ConversationReference(key=key, reference=sealed, updated_at=now))
                else:
                    row.reference = sealed
                    row.updated_at = now
                    session.add(row)
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"could not store {key.split(':', 2)[1]!r} state")


def load(core: LearnPulse, key: str) -> dict[str, Any] | None:
    """The decrypted document under ``key``, or None."""
    with core.reading() as session:
        row = session.get(ConversationReference, key)
        sealed = row.reference if row else None
    if sealed is None:
        return None
    document: dict[str, Any] = json.loads(core.vault.decrypt(sealed))
    return document


def delete(core: LearnPulse, key: str) -> bool:
    """Forget ``key``; True when something was stored."""
    with core.session() as session:
        row = session.get(ConversationReference, key)
        if row is None:
            return False
        session.delete(row)
    return True


def delete_older(core: LearnPulse, prefix: str, before: datetime) -> int:
    """Forget every row under ``prefix`` last written before ``before``; how many."""
    with core.session() as session:
        rows = session.exec(
            select(ConversationReference)
            .where(col(ConversationReference.key).startswith(prefix))
            .where(col(ConversationReference.updated_at) < before)
        ).all()
        for row in rows:
            session.delete(row)
    return len(rows)


def keys_under(core: LearnPulse, prefix: str) -> list[str]:
    """Every stored key under ``prefix`` (``teams:team:``: each team the app is installed in)."""
    with core.reading() as session:
        return list(
            session.exec(
                select(ConversationReference.key).where(
                    col(ConversationReference.key).startswith(prefix)
                )
            ).all()
        )


def newest_reference(core: LearnPulse, tenant_id: str | None) -> dict[str, Any] | None:
    """The most recently refreshed reference in ``tenant_id`` (any tenant when None).

    Its service URL is where a new 1:1 conversation can be created for someone who has no
    reference yet (Teams serves a tenant from one regional service URL).
    """
    with core.session() as session:
        rows = session.exec(
            select(ConversationReference.reference)
            .where(col(ConversationReference.key).startswith("teams:"))
            .where(*(~col(ConversationReference.key).startswith(p) for p in STATE_PREFIXES))
            .order_by(col(ConversationReference.updated_at).desc())
            .limit(50)
        ).all()
    for sealed in rows:
        document: dict[str, Any] = json.loads(core.vault.decrypt(sealed))
        tenant = (document.get("conversation") or {}).get("tenantId")
        if tenant_id is None or tenant == tenant_id:
            return document
    return None
