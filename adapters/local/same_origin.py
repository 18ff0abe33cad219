"""The playground refuses cross-site posts.

The playground has no sign-in: whoever can make a browser post to it acts as anyone. A page on
another site could do exactly that with a hidden form (cross-site request forgery), and a name
that resolves to 127.0.0.1 could reach it from a browser under another origin (DNS rebinding).
So every POST under ``/play/`` must name the loopback host and port the server is listening on
in ``Host``, and come from that same origin (``Origin``, or ``Referer`` when a browser sends no
``Origin``); anything else gets 403 before the form is read, and nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bot.settings import is_loopback_host

log = logging.getLogger("learnpulse.demo")

GUARDED_PREFIX = "/play/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSED = "cross-site request refused: post from the playground's own page"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def same_origin_posts(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 for a playground POST whose Host or Origin is not the playground itself."""
    guarded = request.method not in SAFE_METHODS and request.path.startswith(GUARDED_PREFIX)
    if guarded and not is_same_origin(request):
        log.warning("refused a cross-site %s to %s", request.method, request.path)
        raise web.HTTPForbidden(text=REFUSED)
    return await handler(request)


def is_same_origin(request: web.Request) -> bool:
    """True when ``Host`` is the loopback host:port this server listens on and the request
    comes from a page of that origin."""
    own = _http_origin(f"http://{request.headers.get('Host', '')}")
    if own is None or not is_loopback_host(own[0]) or own[1] != _listening_port(request):
        return False
    origin = request.headers.get("Origin")
    if origin is not None:
        return _http_origin(origin, bare=True) == own
    referer = request.headers.get("Referer")
    return referer is not None and _http_origin(referer) == own


def _listening_port(request: web.Request) -> int | None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if isinstance(sockname, tuple) and len(sockname) >= 2 else None


def _http_origin(url: str, *, bare: bool = False) -> tuple[str, int] | None:
    """(host, port) of an ``http://`` URL; None for anything else (``null``, user info, https).
    ``bare``: the URL must be an origin alone, with no path, as the ``Origin`` header is."""
    try:
        parts = urlsplit(url)
        port = parts.port or 80
    except ValueError:
        return None
    if parts.scheme != "http" or not parts.hostname or "@" in parts.netloc:
        return None
    if bare and (parts.path or parts.query or parts.fragment):
        return None
    return parts.hostname.lower(), port
