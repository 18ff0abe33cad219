"""``TEAMS_SERVICE_URLS`` compared as URLs, not as text.

A text prefix test lets ``http://localhost:5000`` also match ``http://localhost:5000@evil.example/``
(user info: the host is evil.example) and ``http://localhost:50001/`` (another port). Here both
sides are parsed and compared by scheme, host, port (the scheme's default when absent) and path,
the path on a segment boundary (``/amer`` covers ``/amer/…``, not ``/americas``). Anything that
is not a plain http(s) URL (user info, query, fragment, backslash, whitespace, a ``.`` or ``..``
segment, a bad port) matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ServiceUrl:
    """A parsed service URL; ``path`` always ends with ``/``."""

    scheme: str
    host: str
    port: int
    path: str

    def covers(self, other: ServiceUrl) -> bool:
        """True when ``other`` is this URL or lies under its path."""
        return (self.scheme, self.host, self.port) == (
            other.scheme,
            other.host,
            other.port,
        ) and other.path.startswith(self.path)


def parse_service_url(url: str) -> ServiceUrl | None:
    """``url`` as a ``ServiceUrl``, or None when it is not a plain http(s) URL."""
    if not url or "\\" in url or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return None
    path = parts.path or "/"
    for segment in path.split("/"):
        plain = unquote(segment)
        if plain in (".", "..") or "/" in plain or "\\" in plain:
            return None
    return ServiceUrl(scheme, host, port or DEFAULT_PORTS[scheme], path.rstrip("/") + "/")


def service_url_allowed(url: str | None, allowed: list[str]) -> bool:
    """True when ``url`` is one of the ``allowed`` service URLs or under one of them."""
    candidate = parse_service_url(url) if url else None
    if candidate is None:
        return False
    for entry in allowed:
        base = parse_service_url(entry)
        if base is not None and base.covers(candidate):
            return True
    return False
