"""Describe a failure for the log without its message.

An exception's text can carry data: PostgreSQL quotes the failing row ("Failing row contains
…"), a driver echoes values. So unexpected failures are logged by kind and place only.
"""

from __future__ import annotations

import traceback
from pathlib import Path


def describe(exc: BaseException, frames: int = 4) -> str:
    """``Kind at file:line < file:line …`` (innermost first), never the exception's message."""
    stack = traceback.extract_tb(exc.__traceback__)[-frames:]
    places = " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stack))
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
    return f"{kind} at {places}" if places else kind
