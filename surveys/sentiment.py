"""Comment sentiment: textblob's pattern-based polarity, which needs no corpus download.

Computed once, when a comment is stored; digests only ever read the stored number.
"""

from __future__ import annotations

from textblob import TextBlob


def polarity(text: str) -> float:
    """Polarity of ``text`` from -1 (negative) to 1 (positive), rounded to 3 places."""
    return round(float(TextBlob(text).sentiment.polarity), 3)
