"""An in-process ``ChatAdapter`` for pure unit tests of the core.

What it is for: tests of what the core decides on its own, with no claim about any chat
platform. Who is asked which question when (scheduling, working hours, holidays, budgets, the
pilot group, reminders and windows), the delivery ledger (claims, leases, batches, exactly once),
recording answers, commands' replies, and the content of the neutral ``Prompt`` and ``Report``
the core hands to the port. ``FakeChat`` answers ``members`` from its ``directory``, keeps every
prompt the core asked it to send, and accepts everything else.

What it must not be used for: anything that claims platform behaviour, i.e. what Slack or Teams
receives or shows: message updates and closed messages, DMs, posts to channels, files and charts,
rate limits, retries, and the platforms' errors. Those tests run the real adapter against the
fakes of the platforms' HTTP APIs on loopback: ``tests/adapters/slack/fake_slack.py`` (the Slack
Web API) and ``tests/adapters/teams/fake_connector.py`` (the Bot Framework connector). That is
why ``FakeChat`` keeps no record of updates, posts or files and cannot fail: a test that needs
them belongs with those fakes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from bot.messages import Prompt, Report
from bot.ports import LookupKind, Member, MessageRef


@dataclass
class FakeChat:
    """Keeps the prompts the core sends, per person; ``directory`` answers ``members``."""

    platform: str = "slack"
    directory: dict[str, list[Member]] = field(default_factory=dict)
    emails: dict[str, Member] = field(default_factory=dict)  # lower-cased e-mail -> person
    prompts: dict[str, list[Prompt]] = field(default_factory=lambda: defaultdict(list))
    _counter: int = 0

    def _ref(self, conversation: str) -> MessageRef:
        self._counter += 1
        return MessageRef(conversation, str(self._counter))

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        self.prompts[person].append(prompt)
        return self._ref(f"D-{person}")

    async def update_prompt(self, ref: MessageRef, prompt: Prompt) -> None:
        return None

    async def find_prompt(self, person: str, delivery_id: int) -> MessageRef | None:
        for index, prompt in enumerate(self.prompts.get(person, [])):
            if prompt.delivery_id == delivery_id:
                return MessageRef(f"D-{person}", f"found-{index}")
        return None

    async def post_to_person(self, person: str, message: Report) -> MessageRef:
        return self._ref(f"D-{person}")

    async def post_to_channel(self, channel: str, message: Report) -> MessageRef:
        return self._ref(channel)

    async def send_file(self, person: str, filename: str, content: bytes, comment: str) -> None:
        return None

    async def members(self, audience: str) -> list[Member]:
        if audience in self.directory:
            return list(self.directory[audience])
        return [Member(audience)] if audience.count(":") == 1 else []

    async def find_people(self, by: LookupKind, values: Collection[str]) -> dict[str, Member]:
        if by != "email":
            return {}
        wanted = {v.lower() for v in values}
        return {e: m for e, m in self.emails.items() if e in wanted}

    def count(self, person: str) -> int:
        """Prompts sent to ``person``, not counting reminders."""
        return sum(1 for p in self.prompts.get(person, []) if not p.is_reminder)

    def reminders(self, person: str) -> int:
        return sum(1 for p in self.prompts.get(person, []) if p.is_reminder)
