"""A batch's ids as one SQL parameter, for the ledger's statements over many deliveries.

A plain ``IN`` of a batch's ids builds and renders a parameter for each, Python work in the
database thread while the event loop waits for the batch; one parameter (a JSON array on
SQLite, an array on PostgreSQL) costs the same for two ids or two thousand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Integer, Select, any_, column, func, literal, select
from sqlalchemy.dialects import postgresql


def one_of(key: Any, ids: Sequence[int], dialect: str) -> Any:
    """``key IN ids`` with the ids as one parameter (a JSON array on SQLite, an array on
    PostgreSQL)."""
    if dialect == "sqlite":
        return key.in_(json_array_values(orjson.dumps(list(ids)).decode()))
    array = literal(list(ids), type_=postgresql.ARRAY(Integer))
    return key == any_(array)


def json_array_values(array: str) -> Select[Any]:
    """The values of a JSON array (one parameter) as rows, on SQLite."""
    return select(column("value")).select_from(func.json_each(literal(array)))
