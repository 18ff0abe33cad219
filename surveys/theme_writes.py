"""Storing the themes of comments: a few rows per comment, in the comment's own transaction.

Each theme is stored once, its label encrypted, found again by a keyed digest of the label
(``Vault.digest``), so equal themes share a row without the label being readable in the
database. New themes are inserted in one statement (concurrent inserts of the same theme are
ignored, then read back), and the answers' links in another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, delete, select, text
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
    if dialect is postgresql and _stored_in_one_statement(connection, vault, themes, digests):
        return
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


def _stored_in_one_statement(
    connection: Connection,
    vault: Vault,
    themes: Mapping[int, Sequence[str]],
    digests: Mapping[str, str],
) -> bool:
    """On PostgreSQL, new themes and every link in one round trip: the themes are inserted
    (existing ones skipped) and the links made to the inserted and the existing rows. A theme
    that another transaction inserts at the same moment is not visible to this statement, and
    its links are missing: then this says False, and the links are made again the long way."""
    params: dict[str, object] = {}
    wanted, links = [], []
    for i, (label, digest) in enumerate(digests.items()):
        params[f"d{i}"], params[f"l{i}"] = digest, vault.encrypt(label)
        wanted.append(f"(:d{i}, :l{i})")
    expected = {
        (answer_id, digests[label]) for answer_id, found in themes.items() for label in found
    }
    for j, (answer_id, digest) in enumerate(sorted(expected)):
        params[f"a{j}"], params[f"g{j}"] = answer_id, digest
        links.append(f"(CAST(:a{j} AS BIGINT), :g{j})")
    statement = text(
        f"WITH wanted(digest, label) AS (VALUES {', '.join(wanted)}), "
        "added AS (INSERT INTO theme (digest, label) SELECT digest, label FROM wanted "
        "ON CONFLICT (digest) DO NOTHING RETURNING id, digest), "
        "found AS (SELECT id, digest FROM added UNION ALL "
        "SELECT t.id, t.digest FROM theme t JOIN wanted w ON w.digest = t.digest), "
        f"links(answer_id, digest) AS (VALUES {', '.join(links)}) "
        "INSERT INTO answer_theme (answer_id, theme_id) "
        "SELECT DISTINCT l.answer_id, f.id FROM links l JOIN found f ON f.digest = l.digest "
        "ON CONFLICT DO NOTHING RETURNING answer_id"
    )
    made = len(connection.execute(statement, params).all())
    return made == len(expected)


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
