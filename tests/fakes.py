"""An in-memory chat platform for engine tests: records what the core sends, answers lookups."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.messages import Prompt, Report
from bot.ports import Member, MessageRef, PermanentSendError, TransientSendError


@dataclass
class FakeChat:
    """A ChatAdapter that keeps every message; ``fail`` makes sends to a person fail."""

    platform: str = "slack"
    directory: dict[str, list[Member]] = field(default_factory=dict)
    prompts: dict[str, list[Prompt]] = field(default_factory=lambda: defaultdict(list))
    updates: list[tuple[MessageRef, Prompt]] = field(default_factory=list)
    posts: list[tuple[str, Report]] = field(default_factory=list)
    files: list[tuple[str, str, bytes]] = field(default_factory=list)
    fail_permanent: dict[str, str] = field(default_factory=dict)
    fail_transient: dict[str, int] = field(default_factory=dict)
    _counter: int = 0

    async def send_prompt(self, person: str, prompt: Prompt) -> MessageRef:
        if person in self.fail_permanent:
            raise PermanentSendError(self.fail_permanent[person])
        if self.fail_transient.get(person, 0) > 0:
            self.fail_transient[person] -= 1
            raise TransientSendError("ratelimited", retry_after=1.0)
        self.prompts[person].append(prompt)
        self._counter += 1
        return MessageRef(f"D-{person}", f"{self._counter}")

    async def update_prompt(self, ref: MessageRef, prompt: Prompt) -> None:
        self.updates.append((ref, prompt))

    async def find_prompt(self, person: str, delivery_id: int) -> MessageRef | None:
        for index, prompt in enumerate(self.prompts.get(person, [])):
            if prompt.delivery_id == delivery_id:
                return MessageRef(f"D-{person}", f"found-{index}")
        return None

    async def post_to_person(self, person: str, message: Report) -> MessageRef:
        self.posts.append((person, message))
        return MessageRef(f"D-{person}", "p")

    async def post_to_channel(self, channel: str, message: Report) -> MessageRef:
        self.posts.append((channel, message))
        return MessageRef(channel, "c")

    async def send_file(self, person: str, filename: str, content: bytes, comment: str) -> None:
        self.files.append((person, filename, content))

    async def members(self, audience: str) -> list[Member]:
        if audience in self.directory:
            return list(self.directory[audience])
        return [Member(audience)] if audience.count(":") == 1 else []

    def count(self, person: str) -> int:
        """Prompts sent to ``person``, not counting reminders."""
        return sum(1 for p in self.prompts.get(person, []) if not p.is_reminder)

    def reminders(self, person: str) -> int:
        return sum(1 for p in self.prompts.get(person, []) if p.is_reminder)
