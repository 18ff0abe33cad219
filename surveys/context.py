"""What each family of use cases is given: small protocols naming the collaborators they use.

The composition root (``bot.app.LearnPulse``) satisfies all of them; a use case names the
smallest one it needs, so its signature says what it touches and nothing in ``surveys`` depends
on how the app is wired.

- ``Records``: the time, the program and the database (people, snooze, planning).
- ``Reporting``: plus the vault, to open comments and compute pseudonyms (digests, status,
  review, export, a person's own data and trend).
- ``Answering``: plus the program's questions in memory and the metrics (recording answers,
  rendering prompts).
- ``Reaching``: plus the chat adapters (audiences, asking now, sending).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from bot.metrics import Metrics
from bot.ports import ChatAdapters, Clock
from storage.crypto import Vault
from surveys.catalog import Catalog
from surveys.program import Program


class Records(Protocol):
    """The time, the loaded program and the database."""

    @property
    def clock(self) -> Clock: ...

    @property
    def engine(self) -> Engine: ...

    def session(self) -> AbstractContextManager[Session]:
        """A unit of work: commits on success, rolls back on error."""
        ...

    def reading(self) -> AbstractContextManager[Session]:
        """A session that only reads (never SQLite's write lock)."""
        ...

    @property
    def program(self) -> Program | None:
        """The loaded program, or None before one is loaded."""
        ...

    def require_program(self) -> Program: ...


class Reporting(Records, Protocol):
    """Records, and the vault that seals comments and derives pseudonyms."""

    @property
    def vault(self) -> Vault: ...


class Answering(Reporting, Protocol):
    """Reporting, and the program's questions in memory and the metrics."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def metrics(self) -> Metrics: ...


class Reaching(Answering, Protocol):
    """Answering, and the chat adapters that reach people and channels."""

    @property
    def adapters(self) -> ChatAdapters: ...
