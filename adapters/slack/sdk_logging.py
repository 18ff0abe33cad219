"""Slack's libraries never render a request or response body into a log record.

slack_sdk and slack_bolt write whole bodies (a prompt's text, a recorded answer, the value a
person clicked, a typed comment) into DEBUG records. Several of their loggers decide whether to
build that text by their own level rather than the effective one, so while that level is unset
the text is built on every Web API call and then dropped. Pinning those loggers at INFO means
the bodies are never rendered: no answer reaches a log handler whatever the root level, and no
send spends its time formatting text nobody reads.
"""

from __future__ import annotations

import logging

PACKAGES = ("slack_sdk", "slack_bolt")
# loggers that test their own ``level`` (not the effective one) before rendering a body
LEVEL_CHECKED = (
    "slack_sdk.web.async_internal_utils",
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.internal_utils",
    "slack_sdk.web.base_client",
)
# What the app's bolt ``AsyncApp`` logs through. Bolt copies this logger's level to the loggers
# of its middleware and listeners, so pinning it before the app is built covers them too.
BOLT_LOGGER = "learnpulse.slack.bolt"


def keep_payloads_out_of_logs() -> None:
    """Pin the Slack libraries' loggers, and every one of theirs created so far, at INFO at
    least; a stricter level set by an operator stays."""
    existing = [
        name
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and name.split(".")[0] in PACKAGES
    ]
    for name in {*PACKAGES, *LEVEL_CHECKED, BOLT_LOGGER, *existing}:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:  # unset or DEBUG
            logger.setLevel(logging.INFO)
