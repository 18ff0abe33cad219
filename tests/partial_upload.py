"""Requests that never finish their upload, as a hostile or slow client sends them.

aiohttp's client always sends the whole body before it reads the answer; these helpers speak
HTTP/1.1 over a bare socket, so a test can send the head and part of the body and see whether
the server answers without waiting for the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from urllib.parse import urlsplit

ANSWER_WITHIN_SECONDS = 10.0  # generous for a loaded machine; the server waits forever otherwise


async def status_before_upload_ends(
    url: str, headers: Mapping[str, str], declared_length: int, sent: bytes
) -> int:
    """POST to ``url`` declaring ``declared_length`` body bytes, send only ``sent``, and return
    the status the server answers while the rest of the body never comes.

    Raises ``TimeoutError`` when the server waits for the body instead of answering.
    """
    assert len(sent) < declared_length
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        head = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        head.append(f"Content-Length: {declared_length}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + sent)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), ANSWER_WITHIN_SECONDS)
        if not status_line:
            raise ConnectionError("the server closed the connection without an answer")
        return int(status_line.split()[1])
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
