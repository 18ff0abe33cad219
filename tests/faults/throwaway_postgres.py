"""A PostgreSQL cluster of the test's own, in a temporary folder on a free port, that the test
may stop and start (never the shared server the rest of the suite uses)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support import free_port

TOOLS = ("runuser", "initdb", "pg_ctl")


def _as_postgres(*command: str) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        check=True,
        capture_output=True,
        timeout=60,
    )


class ThrowawayPostgres:
    """``initdb`` + ``pg_ctl`` as the ``postgres`` user; ``url`` names its one database."""

    def __init__(self) -> None:
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing or os.geteuid() != 0:
            why = f"{', '.join(missing)} not found" if missing else "not running as root"
            pytest.skip(f"a throwaway PostgreSQL cluster cannot be made here: {why}")
        self.folder = Path(tempfile.mkdtemp(prefix="learnpulse-pg-"))
        shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/learnpulse"

    def __enter__(self) -> ThrowawayPostgres:
        _as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        _as_postgres(
            "psql",
            "-h",
            str(self.folder),
            "-p",
            str(self.port),
            "-qc",
            "CREATE DATABASE learnpulse",
        )
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100"
        )
        log = str(self.folder / "server.log")
        _as_postgres("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop the server at once (every connection dropped), as a crash or a restart would."""
        if (self.data / "postmaster.pid").exists():
            _as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
