"""The fields of a form body (``application/x-www-form-urlencoded``), decoded in C.

Every click reaches us as a form with one field, ``payload``: the interaction's JSON, about 4 KB
with some 700 percent escapes. ``urllib.parse`` decodes those escapes one by one in Python, which
costs about as much as everything else bolt does with the click. Percent escapes are the escapes of
quoted-printable with another escape character, and ``binascii.a2b_qp`` decodes those in C; so a
value is decoded there when that is certain to give what ``urllib.parse.unquote_plus`` gives, and
by ``unquote_plus`` otherwise (a malformed escape, bytes that are not UTF-8, or characters that
mean something else to quoted-printable: ``=``, line breaks).
"""

from __future__ import annotations

import binascii
from urllib.parse import unquote_plus

QUOTED_PRINTABLE_ONLY = ("=", "\r", "\n")  # soft line breaks and escapes in quoted-printable


def form_fields(raw: str) -> dict[str, str]:
    """The fields of a form body, as ``dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))``
    has them: the last value of a repeated name wins."""
    fields: dict[str, str] = {}
    for pair in raw.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        fields[unquote(name)] = unquote(value)
    return fields


def unquote(value: str) -> str:
    """``unquote_plus(value)``: ``+`` is a space, ``%XX`` the byte XX, the bytes UTF-8."""
    spaced = value.replace("+", " ")
    if "%" not in spaced:
        return spaced
    if any(character in spaced for character in QUOTED_PRINTABLE_ONLY):
        return unquote_plus(value)
    escaped = spaced.replace("%", "=").encode()
    decoded = binascii.a2b_qp(escaped)
    # Each escape turns three characters into one byte; a malformed one turns fewer.
    if len(decoded) != len(escaped) - 2 * escaped.count(b"="):
        return unquote_plus(value)
    try:
        return decoded.decode()
    except UnicodeDecodeError:
        return unquote_plus(value)  # with U+FFFD for the bytes that are not UTF-8
