"""Rewrite values sealed with Fernet (which dates each token to its second) as AES-GCM.

Run on every start and by ``learnpulse db upgrade``; it finds nothing once done. Fernet tokens
always begin with ``gAAAAA`` (their version byte), so the rows to rewrite are found by prefix,
a few hundred per short transaction. A value that does not open under the key is left as it is.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from storage.crypto import Vault
from storage.tables import Answer, ConversationReference, table_of

FERNET_PREFIX = "gAAAAA"
BATCH = 500

_ANSWERS = table_of(Answer)
_REFERENCES = table_of(ConversationReference)


def reseal_legacy(engine: Engine, vault: Vault) -> int:
    """Rewrite every legacy sealed value; returns how many were rewritten."""
    total = 0
    for table, key, column in (
        (_ANSWERS, _ANSWERS.c.id, _ANSWERS.c.comment),
        (_ANSWERS, _ANSWERS.c.id, _ANSWERS.c.value),
        (_REFERENCES, _REFERENCES.c.key, _REFERENCES.c.reference),
    ):
        skipped: set[object] = set()
        while True:
            with engine.begin() as connection:
                rows = connection.execute(
                    select(key, column)
                    .where(column.startswith(FERNET_PREFIX), key.not_in(skipped))
                    .limit(BATCH)
                ).all()
                if not rows:
                    break
                for row_key, sealed in rows:
                    try:
                        plain = vault.decrypt(sealed)
                    except ValueError:
                        skipped.add(row_key)  # not ours, or not a token: left as it is
                        continue
                    resealed = {column.name: vault.encrypt(plain)}
                    connection.execute(update(table).where(key == row_key).values(resealed))
                    total += 1
    return total
