"""Discord's REST rate limits, as the double enforces them, and a count of every call for benchmarks.

Discord documents the mechanism, not the numbers (https://discord.com/developers/docs/topics/rate-limits):
- a **global** limit of 50 requests per second per bot, which interaction endpoints (the callback and the
  interaction token's webhook: followups, ``@original`` edits) are *not* bound by;
- **per-route** buckets, counted per top-level resource (a channel, a guild, a webhook id + token), and
  announced on every answer with ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``, ``-Reset-After`` and
  ``-Bucket``;
- over a limit: ``429`` with ``{"message", "retry_after", "global"}``, ``Retry-After`` and
  ``X-RateLimit-Scope`` (``user``, ``global`` or ``shared``), plus ``X-RateLimit-Global: true`` for the
  global one. A refused call does not use up a bucket.

The per-route numbers below are the ones bots observe in practice (sending in a channel: 5 per 5 s, and so
on); tests that need more speed than Discord allows pass their own ``RateLimits``. Windows are fixed: the
first call after a reset opens a window of ``per`` seconds, as Discord's ``Reset-After`` describes.

``RateLimiter`` takes its clocks as arguments so the rules are unit-tested without waiting.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

Clock = Callable[[], float]

GLOBAL_PER_SECOND = 50

# Interaction endpoints: the callback and everything under the interaction token's webhook.
_INTERACTION_PATH = re.compile(r"/interactions/\d+/[^/]+/callback|/webhooks/\d+/[^/]+(?:/.*)?")
_ID = re.compile(r"\d{5,}")


def _route_template(path: str, interaction: bool) -> str:
    """The path with its ids (and an interaction's token) left out, so counts add up per route."""
    if interaction:
        return "/interactions/{id}/{token}/callback" if path.endswith("/callback") else "/webhooks/{token}"
    return _ID.sub("{id}", path)


@dataclass(frozen=True)
class RouteLimit:
    """``limit`` calls per ``per`` seconds on the routes ``method`` + ``pattern`` match (a regex on the path
    without ``/api/v10``, whose first group is the top-level resource each bucket is counted for)."""

    name: str
    method: str
    pattern: str
    limit: int
    per: float
    # What a 429 says: the bot's own per-route limit ("user") or a limit on the resource ("shared").
    scope: str = "user"

    @property
    def bucket_hash(self) -> str:
        # Discord's bucket ids are opaque strings shared by the routes of one limit.
        return hashlib.sha1(self.name.encode()).hexdigest()[:16]


DISCORD_ROUTES: tuple[RouteLimit, ...] = (
    RouteLimit("create message", "POST", r"/channels/(\d+)/messages", 5, 5.0),
    RouteLimit("edit message", "PATCH", r"/channels/(\d+)/messages/\d+", 5, 5.0),
    RouteLimit("delete message", "DELETE", r"/channels/(\d+)/messages/\d+", 5, 1.0),
    RouteLimit("reaction", "PUT", r"/channels/(\d+)/messages/\d+/reactions/[^/]+/@me", 1, 0.25),
    RouteLimit("reaction", "DELETE", r"/channels/(\d+)/messages/\d+/reactions/[^/]+/@me", 1, 0.25),
    RouteLimit("typing", "POST", r"/channels/(\d+)/typing", 5, 5.0),
    RouteLimit("followup", "POST", r"/webhooks/\d+/([^/]+)", 5, 2.0, scope="shared"),
    RouteLimit("webhook message", "PATCH", r"/webhooks/\d+/([^/]+)/messages/(?:@original|\d+)", 5, 2.0),
    RouteLimit("get member", "GET", r"/guilds/(\d+)/members/\d+", 5, 1.0),
)


@dataclass(frozen=True)
class RateLimits:
    """What the double enforces. ``global_per_second=None`` lifts the global limit; ``routes=()`` the
    per-route ones. ``RateLimits()`` is Discord's; ``RateLimits.unlimited()`` enforces nothing (but still
    counts)."""

    global_per_second: int | None = GLOBAL_PER_SECOND
    routes: tuple[RouteLimit, ...] = DISCORD_ROUTES

    @classmethod
    def unlimited(cls) -> RateLimits:
        return cls(global_per_second=None, routes=())

    def scaled(self, factor: float) -> RateLimits:
        """Every limit ``factor`` times as generous (for tests whose game clock runs faster)."""
        routes = tuple(replace(route, limit=max(1, round(route.limit * factor))) for route in self.routes)
        per_second = None if self.global_per_second is None else max(1, round(self.global_per_second * factor))
        return RateLimits(global_per_second=per_second, routes=routes)


@dataclass(frozen=True)
class RateLimitHit:
    """One call answered 429."""

    at: float
    method: str
    path: str
    bucket: str  # the route limit's name, or "global"
    scope: str
    retry_after: float


@dataclass(frozen=True)
class Admission:
    """The limiter's verdict on one call: the headers to answer with, and the 429 body if refused."""

    headers: dict[str, str]
    refused: dict[str, object] | None = None


@dataclass
class _Window:
    opened_at: float
    used: int = 0


@dataclass
class RateLimiter:
    """Admits or refuses REST calls by ``limits``, and counts every call (refused ones too) per second.

    ``clock`` is monotonic seconds (windows and counts); ``wall_clock`` only dates ``X-RateLimit-Reset``.
    """

    limits: RateLimits = field(default_factory=RateLimits)
    clock: Clock = time.monotonic
    wall_clock: Clock = time.time
    hits: list[RateLimitHit] = field(default_factory=list)
    # Second (since the first call) -> "METHOD /route/{id}" -> calls, for every call.
    calls_per_second: dict[int, Counter[str]] = field(default_factory=dict)
    # The same for calls the global limit counts (not interaction endpoints).
    global_calls_per_second: Counter[int] = field(default_factory=Counter)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)
    _started_at: float | None = None

    def admit(self, method: str, path: str) -> Admission:
        now = self.clock()
        route = self._route_for(method, path)
        interaction = _INTERACTION_PATH.fullmatch(path) is not None
        self._count(now, method, path, interaction)
        if not interaction and self.limits.global_per_second is not None:
            window = self._window(("global", ""), now, 1.0)
            if window.used >= self.limits.global_per_second:
                return self._refuse(now, method, path, None, window, 1.0)
        if route is None:
            if not interaction and self.limits.global_per_second is not None:
                self._windows[("global", "")].used += 1
            return Admission(headers={})
        limit, resource = route
        window = self._window((limit.name, resource), now, limit.per)
        if window.used >= limit.limit:
            return self._refuse(now, method, path, limit, window, limit.per)
        window.used += 1
        if not interaction and self.limits.global_per_second is not None:
            self._windows[("global", "")].used += 1
        return Admission(headers=self._route_headers(limit, window, now))

    # ------------------------------------------------------------------ figures

    def max_global_per_second(self) -> int:
        """The most calls the global limit counted in any one second."""
        return max(self.global_calls_per_second.values(), default=0)

    def total_calls(self, *, global_only: bool = False) -> int:
        if global_only:
            return sum(self.global_calls_per_second.values())
        return sum(sum(counts.values()) for counts in self.calls_per_second.values())

    def calls_by_route(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.calls_per_second.values():
            total.update(counts)
        return total

    def reset_counts(self) -> None:
        """Forget the counts and hits (not the windows): a benchmark measures one phase at a time."""
        self.hits.clear()
        self.calls_per_second.clear()
        self.global_calls_per_second.clear()
        self._started_at = None

    # ------------------------------------------------------------------ internals

    def _route_for(self, method: str, path: str) -> tuple[RouteLimit, str] | None:
        for route in self.limits.routes:
            if route.method == method and (match := re.fullmatch(route.pattern, path)):
                return route, match.group(1)
        return None

    def _window(self, key: tuple[str, str], now: float, per: float) -> _Window:
        window = self._windows.get(key)
        if window is None or now >= window.opened_at + per:
            window = self._windows[key] = _Window(opened_at=now)
        return window

    def _count(self, now: float, method: str, path: str, interaction: bool) -> None:
        if self._started_at is None:
            self._started_at = now
        second = int(now - self._started_at)
        route_key = f"{method} {_route_template(path, interaction)}"
        self.calls_per_second.setdefault(second, Counter())[route_key] += 1
        if not interaction:
            self.global_calls_per_second[second] += 1

    def _route_headers(self, route: RouteLimit, window: _Window, now: float) -> dict[str, str]:
        reset_after = max(window.opened_at + route.per - now, 0.0)
        return {
            "X-RateLimit-Limit": str(route.limit),
            "X-RateLimit-Remaining": str(max(route.limit - window.used, 0)),
            "X-RateLimit-Reset": f"{self.wall_clock() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": route.bucket_hash,
        }

    def _refuse(
        self, now: float, method: str, path: str, route: RouteLimit | None, window: _Window, per: float
    ) -> Admission:
        retry_after = round(max(window.opened_at + per - now, 0.001), 3)
        is_global = route is None
        scope = "global" if is_global else route.scope
        self.hits.append(RateLimitHit(now, method, path, "global" if is_global else route.name, scope, retry_after))
        headers = {"Retry-After": str(max(1, math.ceil(retry_after))), "X-RateLimit-Scope": scope}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers |= self._route_headers(route, window, now)
        message = "You are being rate limited." if scope != "shared" else "The resource is being rate limited."
        return Admission(headers=headers, refused={"message": message, "retry_after": retry_after, "global": is_global})
