"""The fault tests run several ``serve`` processes on one PostgreSQL database; on SQLite alone
(no ``TEST_DATABASE_URL``) they are skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from storage.db import make_engine
from storage.migrate import upgrade


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("fault tests need PostgreSQL: replicas share one database (TEST_DATABASE_URL)")
    return url


@pytest.fixture
def shared_database(postgres_url: str) -> Iterator[Engine]:
    """The test database, migrated and emptied: what the replicas share."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()
