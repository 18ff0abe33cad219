"""Storing the themes of comments: a few rows per comment, in the comment's own transaction.

Each theme is stored once, its label encrypted, found again by a keyed digest of the label
(``Vault.digest``), so equal themes share a row without the label being readable in the
database. New themes are inserted in one statement (concurrent inserts of the same theme are
ignored, then read back), and the answers' links in another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.crypto import Vault
from storage.tables import AnswerTheme, Theme, table_of

THEMES = table_of(Theme)
ANSWER_THEMES = table_of(AnswerTheme)
DIGEST_KIND = "theme"


def store(
    connection: Connection,
    vault: Vault,
    themes: Mapping[int, Sequence[str]],
    *,
    replacing: Iterable[int] = (),
) -> None:
    """Link each answer id to its themes; the answers in ``replacing`` (a changed comment)
    lose the themes they had first."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    replaced = list(replacing)
    if replaced:
        connection.execute(delete(ANSWER_THEMES).where(ANSWER_THEMES.c.answer_id.in_(replaced)))
    labels = {label for found in themes.values() for label in found}
    if not labels:
        return
    digests = {label: vault.digest(DIGEST_KIND, label) for label in labels}
    known = _ids(connection, digests.values())
    new = [
        {"digest": digest, "label": vault.encrypt(label)}
        for label, digest in digests.items()
        if digest not in known
    ]
    if new:
        connection.execute(dialect.insert(THEMES).on_conflict_do_nothing(), new)
        known = _ids(connection, digests.values())
    links = [
        {"answer_id": answer_id, "theme_id": known[digests[label]]}
        for answer_id, found in themes.items()
        for label in found
    ]
    if links:
        connection.execute(dialect.insert(ANSWER_THEMES).on_conflict_do_nothing(), links)


def _ids(connection: Connection, digests: Iterable[str]) -> dict[str, int]:
    wanted = list(digests)
    rows = connection.execute(
        select(THEMES.c.digest, THEMES.c.id).where(THEMES.c.digest.in_(wanted))
    )
    return {str(digest): int(id_) for digest, id_ in rows}


def forget(connection: Connection, answer_ids: Sequence[int]) -> None:
    """Remove the themes of erased answers, and the themes nobody else mentioned."""
    if not answer_ids:
        return
    theme_ids = [
        int(t)
        for t in connection.execute(
            select(ANSWER_THEMES.c.theme_id)
            .where(ANSWER_THEMES.c.answer_id.in_(answer_ids))
            .distinct()
        ).scalars()
    ]
    connection.execute(delete(ANSWER_THEMES).where(ANSWER_THEMES.c.answer_id.in_(answer_ids)))
    if theme_ids:
        still = select(ANSWER_THEMES.c.theme_id).where(ANSWER_THEMES.c.theme_id.in_(theme_ids))
        connection.execute(
            delete(THEMES).where(THEMES.c.id.in_(theme_ids), THEMES.c.id.not_in(still))
        )
