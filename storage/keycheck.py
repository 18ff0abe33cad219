"""The database remembers which ``LEARNPULSE_SECRET_KEY`` wrote it; another key is refused.

Started with another key, LearnPulse would store pseudonyms that match nobody's earlier answers
and show comments it cannot decrypt. The first start on a database records the key's check
value (``Vault.check_value``); every later start compares it and fails closed on a mismatch.

A database from before the check has no value yet: before recording one, a stored encrypted
value (a comment, a Teams conversation reference) is decrypted as a probe, so a wrong key is
refused there too whenever the database holds anything encrypted.
"""

from __future__ import annotations

import hmac

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.crypto import Vault
from storage.db import read_session, session_scope
from storage.tables import Answer, ConversationReference, KeyCheck

OTHER_KEY = (
    "this database was written with another key; start with the key it was written with "
    "(answers, comments and pseudonyms cannot be read or matched under a new one)"
)


class KeyMismatch(ValueError):
    """The database was written with another ``LEARNPULSE_SECRET_KEY``."""


def verify_key(engine: Engine, vault: Vault) -> bool:
    """Compare the key with the database's check value, recording it on first use.

    True when this call recorded it; raises ``KeyMismatch`` when the database belongs to
    another key. Safe when several replicas start at once: one records, the others compare.
    """
    with read_session(engine) as session:
        stored = session.get(KeyCheck, 1)
    if stored is not None:
        _compare(stored.value, vault)
        return False
    _probe_encrypted(engine, vault)
    try:
        with session_scope(engine) as session:
            session.add(KeyCheck(id=1, value=vault.check_value))
    except IntegrityError:  # another process recorded its key first
        with read_session(engine) as session:
            stored = session.get(KeyCheck, 1)
        assert stored is not None
        _compare(stored.value, vault)
        return False
    return True


def _compare(stored: str, vault: Vault) -> None:
    if not hmac.compare_digest(stored, vault.check_value):
        raise KeyMismatch(OTHER_KEY)


def _probe_encrypted(engine: Engine, vault: Vault) -> None:
    """Decrypt one stored comment and one conversation reference, if there are any."""
    with read_session(engine) as session:
        comment = session.exec(
            select(Answer.comment).where(col(Answer.comment).is_not(None)).limit(1)
        ).first()
        reference = session.exec(select(ConversationReference.reference).limit(1)).first()
    for sealed in (comment, reference):
        if sealed is None:
            continue
        try:
            vault.decrypt(sealed)
        except ValueError:
            raise KeyMismatch(OTHER_KEY) from None
