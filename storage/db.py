"""The database engine: SQLite (WAL, busy timeout, immediate writes, secure delete) or
PostgreSQL (psycopg 3).

Work that only reads (digests, reports, status, exports, App Home) runs in read-only
transactions (``reading`` / ``read_session``): on SQLite they begin deferred, so a long digest or
export never holds the write lock that answers need (in WAL mode readers do not block the
writer); on PostgreSQL they are ``READ ONLY``, so one that tried to write would fail at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "learnpulse_read_only"  # execution option of the engine ``reading`` returns


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``.

    Immediate transactions make concurrent SQLite writers queue on the busy timeout instead of
    failing with "database is locked" when a reader upgrades to a writer.
    """
    parsed = make_url(url)
    # Error messages never carry bound values: a failed write's text could otherwise put an
    # answer into a log line.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    _configure_postgresql(engine)
    return engine


def reading(engine: Engine) -> Engine:
    """``engine`` for transactions that only read (same pool, same connections)."""
    return engine.execution_options(**{READ_ONLY: True})


def _read_only(connection: Any) -> bool:
    return bool(connection.get_execution_options().get(READ_ONLY, False))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted and overwritten rows are zeroed, not left in free space: an erased person's
        # data (or a changed answer) cannot be read back from the file. Debian's SQLite is built
        # with this on, so the benchmark figures already include its cost; other builds are not.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if _read_only(connection) else "BEGIN IMMEDIATE")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if _read_only(connection):
            # on a plain cursor: work that streams its rows would put this on a server-side one
            cursor = connection.connection.cursor()
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.close()


_WRITE_GATES: dict[str, threading.Lock] = {}
_GATES_LOCK = threading.Lock()


def write_gate(engine: Engine) -> AbstractContextManager[object]:
    """A lock that queues this process's writers to one SQLite file before they reach SQLite.

    SQLite's own busy handler waits by sleeping in growing steps (up to 100 ms), so writers that
    collide inside SQLite lose far more time than writers that queue here. Other processes are
    still serialised by SQLite itself. PostgreSQL needs no gate.
    """
    if not is_sqlite(engine):
        return nullcontext()
    key = str(engine.url)
    with _GATES_LOCK:
        return _WRITE_GATES.setdefault(key, threading.Lock())


def empty_wal(engine: Engine) -> bool:
    """SQLite: copy the write-ahead log into the database file and truncate it; True when done
    (always on PostgreSQL, which has no such file).

    The WAL keeps the earlier versions of every page a transaction changed until they are
    overwritten; after an erasure those versions still hold what was erased. This waits (up to
    the busy timeout) for readers of an older snapshot, and returns False if one outlasted it.
    """
    if not is_sqlite(engine):
        return True
    raw = engine.raw_connection()  # autocommit (isolation_level None): a checkpoint cannot run
    try:  # inside a transaction
        cursor = raw.cursor()
        busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    return not busy


def one_writer_at_a_time(session: Session, name: str) -> None:
    """Until ``session``'s transaction ends, other processes doing the work ``name`` wait.

    PostgreSQL: a transaction-level advisory lock keyed by ``name``, for work that reads and then
    inserts what it did not find (two replicas starting at once would both insert it). SQLite
    needs nothing: every writing transaction holds the write lock from its start.
    """
    if session.get_bind().dialect.name == "postgresql":
        lock = text("SELECT pg_advisory_xact_lock(hashtext(:name))")
        session.connection().execute(lock, {"name": name})


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for work that only reads; it never commits."""
    with Session(reading(engine), expire_on_commit=False) as session:
        yield session


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
