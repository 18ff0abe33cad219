"""Request bodies read up to a cap: a body larger than its endpoint ever needs is refused with
``413`` as soon as that is known, before (or instead of) reading the rest of it.

A declared ``Content-Length`` over the cap is refused without reading a byte; a body without one
(chunked) is read until it passes the cap. aiohttp's own ``client_max_size`` is not enough: it
answers only once the whole limit has been read, and only to whoever calls ``request.read()``.
"""

from __future__ import annotations

from aiohttp import web


class BodyTooLarge(Exception):
    """The request's body is larger than the endpoint accepts."""


def declared_too_large(request: web.BaseRequest, limit: int) -> bool:
    """True when the request says up front that its body is over ``limit`` bytes."""
    length = request.content_length
    return length is not None and length > limit


async def read_capped(request: web.BaseRequest, limit: int) -> bytes:
    """The body, at most ``limit`` bytes; ``BodyTooLarge`` as soon as it is known to be more."""
    if declared_too_large(request, limit):
        raise BodyTooLarge
    body = bytearray()
    while True:
        chunk = await request.content.read(limit + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge


def too_large(limit: int) -> web.Response:
    """``413``, closing the connection afterwards: the rest of the body is never read."""
    response = web.Response(status=413, text=f"request body over {limit:,} bytes")
    response.force_close()
    return response
