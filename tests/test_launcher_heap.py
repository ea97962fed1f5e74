"""`crate-digger run` freezes the start-up heap once, at the first ready, so full collections skip it."""

from __future__ import annotations

from bot import launcher


class ListeningBot:
    def __init__(self) -> None:
        self.listeners: dict[str, list] = {}

    def add_listener(self, func, name: str) -> None:
        self.listeners.setdefault(name, []).append(func)

    async def ready(self) -> None:
        for listener in self.listeners.get("on_ready", []):
            await listener()


async def test_the_heap_is_collected_then_frozen_at_the_first_ready_only(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(launcher.gc, "collect", lambda: calls.append("collect"))
    monkeypatch.setattr(launcher.gc, "freeze", lambda: calls.append("freeze"))
    bot = ListeningBot()
    launcher.freeze_heap_when_ready(bot)  # type: ignore[arg-type]
    assert calls == []  # nothing before the bot is ready: the caches are not filled yet
    await bot.ready()
    assert calls == ["collect", "freeze"]
    await bot.ready()  # a reconnect: games are running, and must stay collectable when they end
    assert calls == ["collect", "freeze"]
