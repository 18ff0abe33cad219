"""The database a benchmark runs on: empty, migrated, and its URL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from storage.db import make_engine
from storage.migrate import upgrade


def scratch_database(database_url: str | None, workdir: Path) -> tuple[str, Engine]:
    """``database_url`` emptied (its ``public`` schema dropped and made again), or a new SQLite
    file in ``workdir``; migrated either way."""
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    return url, engine
