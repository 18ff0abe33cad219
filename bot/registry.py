"""Which adapter serves which reference: ``slack:…`` to Slack, ``teams:…`` to Teams."""

from __future__ import annotations

from bot.ports import ChatAdapter, NoAdapterError
from surveys.references import platform_of


class AdapterRegistry:
    """Adapters by platform prefix; one adapter may serve several prefixes (the local one)."""

    def __init__(self) -> None:
        self._by_platform: dict[str, ChatAdapter] = {}

    def register(self, adapter: ChatAdapter, *platforms: str) -> None:
        for platform in platforms or (adapter.platform,):
            self._by_platform[platform] = adapter

    def for_ref(self, ref: str) -> ChatAdapter:
        platform = platform_of(ref)
        try:
            return self._by_platform[platform]
        except KeyError:
            raise NoAdapterError(f"no {platform} adapter is enabled") from None

    def serves(self, ref: str) -> bool:
        return platform_of(ref) in self._by_platform

    def enabled(self) -> list[ChatAdapter]:
        """Each enabled adapter once, in the order of the platforms it was first given."""
        unique: dict[int, ChatAdapter] = {}
        for platform in self.platforms:
            adapter = self._by_platform[platform]
            unique.setdefault(id(adapter), adapter)
        return list(unique.values())

    @property
    def platforms(self) -> list[str]:
        return sorted(self._by_platform)

    def __bool__(self) -> bool:
        return bool(self._by_platform)
