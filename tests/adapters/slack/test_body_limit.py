"""``/slack/events`` refuses a body larger than anything Slack sends with 413, without reading
it: a declared length at once, a chunked body as soon as it passes the cap."""

from __future__ import annotations

from collections.abc import AsyncIterator

from adapters.slack.app import MAX_BODY_BYTES
from tests.adapters.slack.conftest import ADMIN, SlackServer
from tests.adapters.slack.payloads import FORM, signed_headers, slash_command
from tests.partial_upload import status_before_upload_ends


def command_of_size(size: int) -> str:
    """A signed-able ``/learning-help`` whose text pads the form body to ``size`` bytes."""
    bare = slash_command("learning-help", ADMIN, text="")
    return slash_command("learning-help", ADMIN, text="x" * (size - len(bare)))


async def test_a_body_just_under_the_cap_is_handled(slack_server: SlackServer) -> None:
    body = command_of_size(MAX_BODY_BYTES)
    assert len(body) == MAX_BODY_BYTES
    status, _ = await slack_server.command(body)
    assert status == 200


async def test_a_declared_oversized_body_gets_413_before_the_upload_ends(
    slack_server: SlackServer,
) -> None:
    body = command_of_size(MAX_BODY_BYTES + 1)
    status = await status_before_upload_ends(
        f"{slack_server.url}/slack/events",
        signed_headers(body, FORM),
        len(body),
        body.encode()[:16_384],
    )
    assert status == 413


async def test_a_signed_chunked_body_over_the_cap_gets_413(slack_server: SlackServer) -> None:
    body = command_of_size(MAX_BODY_BYTES + 64 * 1024).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 16_384):
            yield body[start : start + 16_384]

    async with slack_server.session.post(
        f"{slack_server.url}/slack/events",
        data=chunks(),
        headers=signed_headers(body.decode(), FORM),
    ) as response:
        assert response.status == 413
