"""Schema migrations: ``learnpulse db upgrade`` and the upgrade on server start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

_INI = Path(__file__).with_name("alembic.ini")


def _config(engine: Engine) -> Config:
    config = Config(str(_INI))
    config.set_main_option("script_location", str(_INI.parent / "migrations"))
    return config


MIGRATION_LOCK = 7_311_025  # PostgreSQL advisory lock: one migrating replica at a time


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (idempotent). On PostgreSQL, replicas starting at
    once take turns (an advisory lock held by the migrating transaction): the first migrates,
    the others find it done."""
    config = _config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def autogenerate(engine: Engine, message: str) -> None:
    """Write a new revision from the difference between the tables and the database."""
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
