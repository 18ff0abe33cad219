"""Shared fixtures: a real database (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
a movable clock and a core wired to both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from bot.app import LearnPulse
from bot.clock import ManualClock
from storage.db import make_engine
from storage.migrate import upgrade
from tests.factories import ROOT, build_app
from tests.support import MONDAY_MORNING

SHARED = ROOT.parent / "shared"

DATABASES = ["sqlite", "postgresql"]


def _postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    url = _postgres_url()
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database; every test using it runs once per database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'learnpulse.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    engine = request.getfixturevalue("postgres_engine")
    _truncate(engine)
    return str(_postgres_url())


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """Monday 2026-11-30 08:00 UTC unless a test moves it."""
    return ManualClock(MONDAY_MORNING)


@pytest.fixture
def core(database_url: str, engine: Engine, clock: ManualClock) -> LearnPulse:
    """A core on the test database, with the example program loaded."""
    return build_app(database_url, clock=clock, engine=engine)
