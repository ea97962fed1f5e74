"""A local stand-in for Discord that the *real* discord.py client talks to over real sockets.

Why a double instead of mocks: the bot's behaviour lives in discord.py glue as much as in our
code -- command-tree resolution, view dispatch keyed on message ids, interaction tokens,
deferrals, webhook followups, allowed-mentions defaults. Mocking ``Interaction`` objects
skips all of that. This module serves enough of Discord's gateway (websocket, JSON text
frames, no compression) and REST API on ``127.0.0.1`` for an unmodified
``discord.ext.commands.Bot`` to log in, sync app commands, receive interactions and messages
and answer them, while the double records everything the bot did.

It also enforces the Discord rules that commonly bite bots in production and that a lenient
fake would hide: the 3-second interaction deadline, "already acknowledged", empty/oversized
messages, privileged intents (message content), and it computes who a message would really
ping. See ``fixtures.py`` for wiring a bot to it.

Sharding: ``shard_count`` is what ``GET /gateway/bot`` recommends; each gateway connection
IDENTIFYs as one shard ``[id, count]``, gets READY and GUILD_CREATE only for the guilds on that
shard (``(guild_id >> 22) % count == id``), and every later event about a guild goes only to the
connection holding its shard (DMs to shard 0), as Discord does. The connections may come from one
process or several. Unsharded bots identify as shard 0 of 1 and hold every guild.

Scope: text channels and DMs only (no threads, voice, permission overwrites); gateway events sent
while a shard is disconnected are not replayed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import re
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from .models import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BOT_PERMISSIONS,
    CALLBACK_AUTOCOMPLETE_RESULT,
    CALLBACK_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_UPDATE_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    INTERACTION_APPLICATION_COMMAND,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_MESSAGE_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    MANAGE_MESSAGES,
    MODERATOR_PERMISSIONS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    AttachmentUpload,
    Channel,
    Guild,
    InteractionRecord,
    Message,
    RecordedFile,
    RecordedRequest,
    Role,
    User,
    iso_now,
    next_snowflake,
)
from .ratelimits import RateLimiter, RateLimits
from .validation import PayloadError, validate_choices, validate_message, validate_modal

log = logging.getLogger(__name__)

API_VERSION = 10
# Discord's interaction tokens (the webhook for followups and edits) last 15 minutes.
INTERACTION_TOKEN_LIFETIME = 15 * 60.0

INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

# Stable so payloads are reproducible; the value itself is meaningless to discord.py.
_JOINED_AT = "2024-01-01T00:00:00+00:00"
# A 1x1 transparent PNG, returned for any avatar/icon the bot fetches from the "CDN".
_PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)

Handler = Callable[..., Awaitable[tuple[int, Any]]]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is *exactly* application/json;
    # aiohttp's json_response appends "; charset=utf-8", which would make the bot see a str.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={**(headers or {}), "Content-Type": "application/json"}
    )


class ApiError(Exception):
    """An error Discord would return: HTTP status plus Discord's JSON error code."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _id(value: Any) -> int:
    """Accept a model object (anything with ``.id``), an int, or a numeric string."""
    return int(getattr(value, "id", value))


class _GatewayConnection:
    def __init__(self, ws: web.WebSocketResponse, path: str, query: dict[str, str]):
        self.ws = ws
        self.path = path
        self.query = query
        self._lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        # One writer at a time so frames (and their sequence numbers) never interleave.
        async with self._lock:
            await self.ws.send_str(json.dumps(payload))


def shard_for_guild(guild_id: int, shard_count: int) -> int:
    """Discord's routing rule, written out here rather than imported so the bot's copy is checked."""
    return (guild_id >> 22) % shard_count


# Events whose payload is the guild itself, so its "id" says where they go.
_GUILD_PAYLOAD_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def _event_guild_id(event: str, data: dict[str, Any]) -> int | None:
    raw = data.get("id") if event in _GUILD_PAYLOAD_EVENTS else data.get("guild_id")
    return None if raw is None else int(raw)


@dataclass
class ShardSession:
    """One shard's gateway session: what it IDENTIFYed with, its sequence, and its live connection."""

    shard_id: int
    shard_count: int
    session_id: str
    conn: _GatewayConnection | None
    seq: int = 0
    ready: bool = False

    @property
    def live(self) -> bool:
        return self.conn is not None and self.ready


class DiscordDouble:
    """Fake Discord: gateway + REST on 127.0.0.1, with recorders and test drivers.

    Construct, then ``await start()`` (or ``async with``), point discord.py at ``base_url`` /
    ``gateway_url`` (``fixtures.patch_discord_urls``), and drive it with ``slash``, ``click``,
    ``autocomplete``, ``submit_modal`` and ``send_message``. Observe with ``requests``,
    ``messages``, ``interaction_responses`` and ``wait_for``.
    """

    def __init__(
        self,
        *,
        application_id: int | None = None,
        bot_name: str = "Crate Digger",
        bot_permissions: int = BOT_PERMISSIONS,
        guild_name: str | None = "Test Guild",
        channels: Iterable[str] = ("general", "trivia"),
        members: Iterable[User] = (),
        interaction_deadline: float | None = 3.0,
        interaction_token_lifetime: float | None = INTERACTION_TOKEN_LIFETIME,
        echo_bot_messages: bool = True,
        enforce_intents: bool = True,
        validate_payloads: bool = True,
        heartbeat_interval_ms: int = 41250,
        rate_limits: RateLimits | None = None,
        shard_count: int = 1,
        max_guilds_per_shard: int | None = None,
    ) -> None:
        self.application_id = application_id or next_snowflake()
        # Modern applications share the bot user's id, and some code relies on that.
        self.bot_user = User(id=self.application_id, name=bot_name, permissions=bot_permissions, bot=True)
        self.owner = User.admin("app-owner")
        self.interaction_deadline = interaction_deadline
        # An interaction's token (its webhook: followups, edits) works this many seconds; None: forever.
        self.interaction_token_lifetime = interaction_token_lifetime
        self.recheck_interval = 0.02
        # Set by fixtures.connected_bot: waits until the bot has finished its REST calls.
        self.settle_hook: Callable[[], Awaitable[None]] | None = None
        self.echo_bot_messages = echo_bot_messages
        self.enforce_intents = enforce_intents
        self.validate_payloads = validate_payloads
        self.heartbeat_interval_ms = heartbeat_interval_ms
        # Discord's global and per-route limits (see ratelimits.py); every call is counted either way.
        self.rate_limiter = RateLimiter(rate_limits or RateLimits())
        # Called with every bot message created, edited or deleted (benchmarks follow games with these
        # rather than polling ``messages``).
        self.message_listeners: list[Callable[[str, Message], None]] = []
        # What GET /gateway/bot recommends; bots may still identify with a count of their own.
        self.shard_count = shard_count
        # Discord closes a shard that would hold too many guilds with 4011 (it says 2,500); None: no limit.
        self.max_guilds_per_shard = max_guilds_per_shard

        self.guilds: dict[int, Guild] = {}
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user, self.owner.id: self.owner}
        self.dm_channels: dict[int, Channel] = {}

        # --- recorders -------------------------------------------------------------------
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []  # requests no route matched (answered 404)
        self.internal_errors: list[BaseException] = []  # bugs in the double itself
        self.messages: list[Message] = []  # every message the bot authored, creation order
        self.user_messages: list[Message] = []  # messages tests sent on behalf of users
        self.interaction_responses: dict[int, InteractionRecord] = {}
        # Synced application commands: scope (guild id, or None for global) -> name -> payload.
        self.commands: dict[int | None, dict[str, dict[str, Any]]] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []  # gateway dispatches sent to the bot
        self.client_frames: list[dict[str, Any]] = []  # gateway frames from the bot (no heartbeats)
        self.gateway_connections: list[dict[str, Any]] = []  # path + query of every websocket
        self.identify: dict[str, Any] | None = None  # the latest IDENTIFY (of any shard)
        self.presence_updates: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.identify_count = 0
        self.resume_count = 0

        self._messages_by_id: dict[int, Message] = {}
        self._tokens: dict[str, InteractionRecord] = {}
        self._uploads: dict[int, AttachmentUpload] = {}
        self._failures: list[dict[str, Any]] = []
        self._slow_routes: list[dict[str, Any]] = []
        self._connections: set[_GatewayConnection] = set()
        # Intent bits the "Developer Portal" has not enabled: an IDENTIFY asking for any of them
        # is closed with 4014, as Discord does.
        self.disallowed_intents = 0
        # Shard id -> its session; every session shares one shard count (see _on_identify).
        self.shard_sessions: dict[int, ShardSession] = {}
        self._dispatch_lock = asyncio.Lock()
        self._cond = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes = self._build_routes()

        if guild_name is not None:
            self.add_guild(guild_name, channels=channels, members=members)

    # ------------------------------------------------------------------ lifecycle / URLs

    async def start(self) -> DiscordDouble:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/gateway", self._gateway_handler)
        app.router.add_route("GET", "/resume-gateway", self._gateway_handler)
        app.router.add_route("GET", "/attachments/{id}/{filename}", self._attachment_handler)
        app.router.add_route("GET", "/cdn/{tail:.*}", self._cdn_handler)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._rest_handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        # Bind the socket ourselves: loopback only, and the kernel picks a free port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        # Close live websockets first: aiohttp's cleanup would otherwise wait on them.
        for conn in list(self._connections):
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"double stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordDouble:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("DiscordDouble is not started")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.root_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        # A distinct path so tests can tell an IDENTIFY connection from a RESUME one.
        return f"ws://127.0.0.1:{self.port}/resume-gateway"

    @property
    def cdn_url(self) -> str:
        """What ``discord.asset.Asset.BASE`` should be set to (avatars, icons)."""
        return f"{self.root_url}/cdn"

    @property
    def connected(self) -> bool:
        """Every shard of the identified count has a live, READY connection."""
        sessions = self.shard_sessions
        if not sessions:
            return False
        count = next(iter(sessions.values())).shard_count
        return all(shard in sessions and sessions[shard].live for shard in range(count))

    def shard_of_guild(self, guild: Guild | int) -> int:
        """The shard a guild's events go to, under the shard count the bot identified with."""
        return shard_for_guild(_id(guild), self._identified_shard_count())

    def _identified_shard_count(self) -> int:
        for session in self.shard_sessions.values():
            return session.shard_count
        return self.shard_count

    def _session_for(self, guild_id: int | None) -> ShardSession | None:
        """The live session that receives a guild's events (a DM's go to shard 0), if any holds it."""
        shard = 0 if guild_id is None else self.shard_of_guild(guild_id)
        session = self.shard_sessions.get(shard)
        return session if session is not None and session.conn is not None else None

    def holds(self, guild: Guild | int | None) -> bool:
        """Whether a connected bot would receive this guild's events (``None``: DMs)."""
        return self._session_for(None if guild is None else _id(guild)) is not None

    @property
    def intents(self) -> int:
        return int((self.identify or {}).get("intents") or 0)

    # ------------------------------------------------------------------ world model

    @property
    def guild(self) -> Guild:
        """The first (default) guild."""
        return next(iter(self.guilds.values()))

    def channel(self, name_or_id: str | int, guild: Guild | int | None = None) -> Channel:
        """A text channel of ``guild`` (default: the first guild) by name or id."""
        target = self.guild if guild is None else self.guilds[_id(guild)]
        return target.channel(name_or_id)

    def add_guild(
        self,
        name: str,
        *,
        channels: Iterable[str] = ("general",),
        members: Iterable[User] = (),
        id: int | None = None,
    ) -> Guild:
        """Add a guild the bot is in. Before the bot connects it arrives in GUILD_CREATE;
        afterwards call ``announce_guild`` to simulate the bot joining it."""
        gid = id or next_snowflake()
        guild = Guild(id=gid, name=name, owner_id=self.owner.id)
        guild.roles.append(Role(id=gid, name="@everyone", permissions=guild.everyone_permissions, position=0))
        bot_extra = self.bot_user.permissions & ~guild.everyone_permissions
        guild.roles.append(Role(id=next_snowflake(), name=self.bot_user.name, permissions=bot_extra, managed=True))
        guild.role_for(MODERATOR_PERMISSIONS)  # pre-created so it is part of GUILD_CREATE
        for position, channel_name in enumerate(channels):
            guild.channels.append(Channel(id=next_snowflake(), name=channel_name, guild_id=gid, position=position))
        for user in (self.bot_user, self.owner, *members):
            self._register_member(guild, user)
        self.guilds[gid] = guild
        return guild

    async def announce_guild(self, guild: Guild) -> None:
        """Send GUILD_CREATE for a guild added after connecting (the bot "joins" it)."""
        await self._send_dispatch("GUILD_CREATE", self._guild_create_payload(guild))

    async def add_channel(self, name: str, guild: Guild | int | None = None) -> Channel:
        """Create a text channel; a connected bot receives CHANNEL_CREATE."""
        target = self.guild if guild is None else self.guilds[_id(guild)]
        channel = Channel(id=next_snowflake(), name=name, guild_id=target.id, position=len(target.channels))
        target.channels.append(channel)
        if self.holds(target):
            await self._send_dispatch("CHANNEL_CREATE", channel.payload())
        return channel

    def deny_bot(self, channel: Channel | int, permissions: int) -> None:
        """Take ``permissions`` from the bot in one channel, as a moderator's channel overwrite does:
        interactions there carry the reduced ``app_permissions``, sending (Send Messages) or touching
        messages at all (View Channel) is refused with 403, and the channel's payload carries the
        overwrite (seen by a bot that connects afterwards: no CHANNEL_UPDATE is sent)."""
        target = self._channel_or_404(_id(channel))
        target.bot_denied |= permissions
        target.bot_id = self.bot_user.id

    async def delete_channel(self, channel: Channel | int) -> None:
        """Delete a channel; a connected bot receives CHANNEL_DELETE and any later call to it is a 404."""
        target = self._channel_or_404(_id(channel))
        if target.guild_id is None:
            raise ValueError("only guild channels can be deleted")
        self.guilds[target.guild_id].channels.remove(target)
        if self.holds(target.guild_id):
            await self._send_dispatch("CHANNEL_DELETE", target.payload())

    def _bot_permissions_in(self, channel: Channel) -> int:
        if channel.guild_id is None:
            return ALL_PERMISSIONS
        return self._permissions_in(self.guilds[channel.guild_id], self.bot_user) & ~channel.bot_denied

    def _require_bot_permission(self, channel: Channel, permission: int) -> None:
        allowed = self._bot_permissions_in(channel)
        if not allowed & VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if not allowed & permission:
            raise ApiError(403, 50013, "Missing Permissions")

    async def add_member(self, user: User, guild: Guild | int | None = None, *, announce: bool = True) -> User:
        """Make ``user`` a guild member; a connected bot with the members intent gets GUILD_MEMBER_ADD.

        Users passed to ``slash``/``send_message`` are added implicitly (without the event),
        since they evidently already were members.
        """
        target = self.guild if guild is None else self.guilds[_id(guild)]
        is_new = user.id not in target.members
        await self._ensure_member(target, user)
        if announce and is_new and self.holds(target) and self.intents & INTENT_GUILD_MEMBERS:
            data = self._member_payload(target, user) | {"guild_id": str(target.id)}
            await self._send_dispatch("GUILD_MEMBER_ADD", data)
        return user

    def upload(self, filename: str, data: bytes | str, content_type: str | None = None) -> AttachmentUpload:
        """A user-side file, served at ``.url``; pass it as a type-11 option or message attachment."""
        raw = data.encode() if isinstance(data, str) else data
        ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        aid = next_snowflake()
        upload = AttachmentUpload(aid, filename, raw, ctype, f"{self.root_url}/attachments/{aid}/{filename}")
        self._uploads[aid] = upload
        return upload

    def _register_member(self, guild: Guild, user: User) -> Role | None:
        guild.members[user.id] = user
        self.users[user.id] = user
        if user.id == self.bot_user.id:
            return None
        role, created = guild.role_for(user.permissions)
        return role if created else None

    async def _ensure_member(self, guild: Guild | None, user: User) -> None:
        self.users[user.id] = user
        if guild is None:
            return
        new_role = self._register_member(guild, user)
        # A permission set never seen before gets a fresh role; the bot must learn about it
        # or role-based checks (text commands) would compute the wrong permissions.
        if new_role is not None and self.holds(guild):
            await self._send_dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": new_role.payload()})

    def _member_roles(self, guild: Guild, user: User) -> list[str]:
        if user.id == self.bot_user.id:
            return [str(r.id) for r in guild.roles if r.managed]
        role, _ = guild.role_for(user.permissions)
        return [] if role is None else [str(role.id)]

    def _member_payload(
        self, guild: Guild, user: User, *, with_user: bool = True, with_permissions: bool = False
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": self._member_roles(guild, user),
            "joined_at": _JOINED_AT,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "nick": None,
            "avatar": None,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = user.payload()
        if with_permissions:
            data["permissions"] = str(self._permissions_in(guild, user))
        return data

    def _permissions_in(self, guild: Guild, user: User) -> int:
        if user.id == guild.owner_id:
            return guild.member_permissions(User(id=user.id, name="", permissions=ADMINISTRATOR))
        return guild.member_permissions(user)

    def _guild_create_payload(self, guild: Guild) -> dict[str, Any]:
        members = list(guild.members.values())
        if self.enforce_intents and not self.intents & INTENT_GUILD_MEMBERS:
            # Without the privileged members intent Discord only includes the bot itself.
            members = [m for m in members if m.id == self.bot_user.id]
        text = guild.text_channels
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [r.payload() for r in guild.roles],
            "system_channel_id": str(text[0].id) if text else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "application_id": None,
            "joined_at": guild.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "members": [self._member_payload(guild, m) for m in members],
            "channels": [c.payload() for c in guild.channels],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _find_channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds.values():
            for channel in guild.channels:
                if channel.id == channel_id:
                    return channel
        return self.dm_channels.get(channel_id)

    def _channel_or_404(self, channel_id: int) -> Channel:
        channel = self._find_channel(channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _dm_channel(self, user: User) -> Channel:
        for channel in self.dm_channels.values():
            if channel.recipient is not None and channel.recipient.id == user.id:
                return channel
        channel = Channel(id=next_snowflake(), name="", guild_id=None, type=1, recipient=user)
        self.dm_channels[channel.id] = channel
        return channel

    def _resolve_place(self, guild_id: Any, channel_id: Any, user: User) -> tuple[Guild | None, Channel]:
        if guild_id is None:
            if channel_id is None:
                return None, self._dm_channel(user)
            return None, self._channel_or_404(_id(channel_id))
        guild = self.guilds[_id(guild_id)]
        channel = guild.text_channels[0] if channel_id is None else guild.channel(_id(channel_id))
        return guild, channel

    # ------------------------------------------------------------------ waiting

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, *, what: str | None = None) -> Any:
        """Wait until ``predicate()`` is truthy and return its value.

        Re-checked immediately after every recorded REST request, gateway frame and dispatched
        event, and additionally every ``recheck_interval`` seconds: predicates often look at
        state only the bot changes (its database, ``on_message`` side effects), which would
        otherwise never wake the waiter.
        """
        try:
            async with asyncio.timeout(timeout), self._cond:
                while not (result := predicate()):
                    try:
                        async with asyncio.timeout(self.recheck_interval):
                            await self._cond.wait()
                    except TimeoutError:
                        pass
                return result
        except TimeoutError:
            recent = ", ".join(f"{r.method} {r.path} -> {r.status}" for r in self.requests[-6:])
            raise TimeoutError(
                f"DiscordDouble.wait_for timed out after {timeout}s waiting for {what or predicate!r}; "
                f"last requests: [{recent}]"
            ) from None

    async def wait_for_message(
        self,
        predicate: Callable[[Message], bool] | None = None,
        *,
        channel: Channel | int | None = None,
        after: Message | int | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """First live bot message (optionally in ``channel``, newer than ``after``) matching."""
        channel_id = None if channel is None else _id(channel)
        after_id = 0 if after is None else _id(after)

        def find() -> Message | None:
            for msg in self.messages:
                if msg.deleted or msg.id <= after_id:
                    continue
                if channel_id is not None and msg.channel_id != channel_id:
                    continue
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self.wait_for(find, timeout, what="a matching bot message")

    async def wait_for_request(self, method: str, path_pattern: str, *, timeout: float = 5.0) -> RecordedRequest:
        """First recorded request whose method matches and path matches the regex (search)."""
        pattern = re.compile(path_pattern)

        def find() -> RecordedRequest | None:
            return next(
                (r for r in self.requests if r.method == method.upper() and pattern.search(r.path)),
                None,
            )

        return await self.wait_for(find, timeout, what=f"{method} {path_pattern}")

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until the bot has finished handling every REST answer it was sent.

        The test drivers call this before dispatching and after a callback arrives, so a
        click never races discord.py's ``store_view``. A no-op without ``settle_hook``.
        """
        if self.settle_hook is not None:
            try:
                async with asyncio.timeout(timeout):
                    await self.settle_hook()
            except TimeoutError:
                raise TimeoutError(f"the bot still had REST calls in flight after {timeout}s") from None

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Wait until every shard has IDENTIFYed (or RESUMEd) and its READY + GUILD_CREATEs were sent."""
        await self.wait_for(lambda: self.connected, timeout, what="every shard READY")

    # ------------------------------------------------------------------ gateway

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        conn = _GatewayConnection(ws, request.path, dict(request.query))
        self._connections.add(conn)
        self.gateway_connections.append({"path": request.path, "query": dict(request.query)})
        try:
            await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    await self._on_client_frame(conn, json.loads(frame.data))
                elif frame.type is WSMsgType.BINARY:
                    # discord.py only sends text (it asks for compression of what *we* send).
                    log.warning("DiscordDouble ignoring a binary gateway frame from the client")
                elif frame.type is WSMsgType.ERROR:
                    break
        finally:
            self._connections.discard(conn)
            for session in self.shard_sessions.values():
                if session.conn is conn:
                    session.conn = None
                    session.ready = False
            await self._notify()
        return ws

    async def _on_client_frame(self, conn: _GatewayConnection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            # discord.py heartbeats right after HELLO, before IDENTIFY; an unanswered beat
            # makes it drop the connection after a while.
            self.heartbeats += 1
            await conn.send({"op": 11})
            return
        self.client_frames.append(frame)
        if op == 2:
            await self._on_identify(conn, data)
        elif op == 6:
            await self._on_resume(conn, data)
        elif op == 3:
            self.presence_updates.append(data)
        elif op == 8:
            await self._on_request_members(conn, data)
        else:
            log.debug("DiscordDouble ignoring gateway op %s", op)
        await self._notify()

    async def _on_identify(self, conn: _GatewayConnection, data: dict[str, Any]) -> None:
        if int(data.get("intents", 0)) & self.disallowed_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard_id, shard_count = self._identified_shard(data)
        if shard_count is None:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        guilds = [guild for gid, guild in self.guilds.items() if shard_for_guild(gid, shard_count) == shard_id]
        if self.max_guilds_per_shard is not None and len(guilds) > self.max_guilds_per_shard:
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        self.identify = data
        self.identify_count += 1
        session = ShardSession(shard_id, shard_count, secrets.token_hex(16), conn)
        self.shard_sessions[shard_id] = session
        ready = {
            "v": API_VERSION,
            "user": self.bot_user.payload() | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(guild.id), "unavailable": True} for guild in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "shard": [shard_id, shard_count],
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["discord-double"],
        }
        await self._send_to(session, "READY", ready)
        for guild in guilds:
            await self._send_to(session, "GUILD_CREATE", self._guild_create_payload(guild))
        session.ready = True

    def _identified_shard(self, data: dict[str, Any]) -> tuple[int, int | None]:
        """The ``[id, count]`` an IDENTIFY asks for; count None when Discord would refuse it (4010).

        Discord refuses an id outside the count. The double also refuses a count other than the one
        the live shards use: a guild's shard would then depend on who asks, which no real bot intends.
        """
        shard = data.get("shard") or [0, 1]
        shard_id, shard_count = int(shard[0]), int(shard[1])
        if not 0 <= shard_id < shard_count:
            return shard_id, None
        others = {s.shard_count for s in self.shard_sessions.values() if s.conn is not None and s.shard_id != shard_id}
        if others and others != {shard_count}:
            return shard_id, None
        return shard_id, shard_count

    async def _on_resume(self, conn: _GatewayConnection, data: dict[str, Any]) -> None:
        session = next((s for s in self.shard_sessions.values() if s.session_id == data.get("session_id")), None)
        if session is None:
            await conn.send({"op": 9, "d": False})  # invalid session: client re-identifies
            return
        self.resume_count += 1
        session.conn = conn
        await self._send_to(session, "RESUMED", {"_trace": ["discord-double"]})
        session.ready = True

    async def _on_request_members(self, conn: _GatewayConnection, data: dict[str, Any]) -> None:
        guild = self.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        prefix = (data.get("query") or "").lower()
        members = [
            m for m in guild.members.values() if (not wanted or m.id in wanted) and m.name.lower().startswith(prefix)
        ]
        chunk = {
            "guild_id": str(guild.id),
            "members": [self._member_payload(guild, m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - {m.id for m in members}],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._send_dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def _send_dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the connection holding its guild's shard; an error if none holds it."""
        guild_id = _event_guild_id(event, data)
        session = self._session_for(guild_id)
        if session is None:
            if not any(s.conn is not None for s in self.shard_sessions.values()):
                raise RuntimeError(f"DiscordDouble: no bot connected to receive {event}")
            shard = 0 if guild_id is None else self.shard_of_guild(guild_id)
            where = "DMs" if guild_id is None else f"guild {guild_id}"
            raise RuntimeError(
                f"DiscordDouble: no bot connection holds shard {shard} of {self._identified_shard_count()} "
                f"({where}) to receive {event}"
            )
        await self._send_to(session, event, data)

    async def _send_to(self, session: ShardSession, event: str, data: dict[str, Any]) -> None:
        async with self._dispatch_lock:
            conn = session.conn
            if conn is None:
                raise RuntimeError(f"DiscordDouble: shard {session.shard_id} disconnected before {event}")
            session.seq += 1
            self.events.append((event, data))
            await conn.send({"op": 0, "t": event, "s": session.seq, "d": data})
        await self._notify()

    async def dispatch(self, event_name: str, data: dict[str, Any]) -> None:
        """Send an arbitrary op-0 DISPATCH frame (e.g. ``"GUILD_MEMBER_REMOVE"``) to the bot
        (to the shard of the frame's ``guild_id``)."""
        await self._send_dispatch(event_name, data)

    async def request_reconnect(self, timeout: float = 10.0, *, shard_id: int = 0) -> None:
        """Send op 7 RECONNECT to one shard and wait until it has RESUMEd on ``resume_gateway_url``."""
        session = self.shard_sessions.get(shard_id)
        if session is None or session.conn is None:
            raise RuntimeError(f"DiscordDouble: no bot connected on shard {shard_id}")
        resumes = self.resume_count
        session.ready = False
        await session.conn.send({"op": 7, "d": None})
        await self.wait_for(lambda: self.resume_count > resumes and session.live, timeout, what="RESUME")

    # ------------------------------------------------------------------ test drivers

    async def send_message(
        self,
        guild_id: Guild | int | None,
        channel_id: Channel | int | None,
        user: User,
        content: str,
        *,
        attachments: Iterable[AttachmentUpload] = (),
        reply_to: Message | None = None,
    ) -> Message:
        """A user posts ``content``; the bot gets MESSAGE_CREATE (subject to its intents).

        ``guild_id=None`` means a DM between ``user`` and the bot; ``channel_id=None`` means
        the guild's first text channel. The returned message's ``delivered`` says whether
        the bot was sent the event at all (no GUILD_MESSAGES intent: it is not).
        """
        await self.settle()
        guild, channel = self._resolve_place(guild_id, channel_id, user)
        if not self.holds(guild):
            raise RuntimeError("DiscordDouble: no bot connected to receive the message")
        await self._ensure_member(guild, user)
        msg = Message(
            id=next_snowflake(),
            channel_id=channel.id,
            guild_id=None if guild is None else guild.id,
            author=user,
            source="user",
            content=content,
            attachments=[a.payload() for a in attachments],
        )
        if reply_to is not None:
            msg.message_reference = {
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
                "type": 0,
            }
            if reply_to.guild_id is not None:
                msg.message_reference["guild_id"] = str(reply_to.guild_id)
            msg.referenced_author_id = reply_to.author.id
            msg.type = 19  # REPLY
        self.user_messages.append(msg)
        self._messages_by_id[msg.id] = msg
        msg.delivered = await self._dispatch_message_event("MESSAGE_CREATE", msg, reply_to=reply_to)
        return msg

    async def slash(
        self,
        guild_id: Guild | int | None,
        channel_id: Channel | int | None,
        user: User,
        command_name: str,
        options: dict[str, Any] | None = None,
        subcommand: str | None = None,
        *,
        guild_command: bool | None = None,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> InteractionRecord:
        """Invoke ``/command_name`` as ``user``; by default waits for the bot's callback
        (and for the bot to finish processing Discord's answer to it).

        ``command_name`` may include the subcommand path (``"trivia start"``) or pass it as
        ``subcommand``. Option types come from the synced command when the bot synced (and
        unknown/missing-required/invalid-choice options raise ``ValueError`` like the
        Discord client would refuse them); otherwise they are inferred from Python values.
        Users, channels, roles and ``upload(...)`` attachments are sent with ``resolved`` data.

        ``guild_command`` overrides whether the command is presented as a guild command
        (``data.guild_id`` set), which discord.py needs to find guild-only commands the bot
        registered but never synced. Default: wherever it was synced, else global.
        """
        guild, channel = self._resolve_place(guild_id, channel_id, user)
        await self._ensure_member(guild, user)
        root, *path = command_name.split()
        if subcommand:
            path += subcommand.split()
        command, scope = self._find_command(root, guild, guild_command)
        built, resolved = await self._build_options(command, root, path, options or {}, guild, focused=None)
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self._fake_command_id(root)),
            "name": root,
            "type": 1,
            "options": built,
        }
        if resolved:
            data["resolved"] = resolved
        if scope is not None:
            data["guild_id"] = str(scope)
        record = await self._dispatch_interaction(
            INTERACTION_APPLICATION_COMMAND, user, guild, channel, data, command_name=" ".join([root, *path])
        )
        if wait:
            await self._wait_response(record, timeout)
        return record

    async def autocomplete(
        self,
        guild_id: Guild | int | None,
        channel_id: Channel | int | None,
        user: User,
        command_name: str,
        focused: str,
        value: str = "",
        options: dict[str, Any] | None = None,
        subcommand: str | None = None,
        *,
        guild_command: bool | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Type ``value`` into option ``focused`` of ``/command_name``; returns the choices
        (``[{"name", "value"}, ...]``) the bot answered with (callback type 8).

        The full record is ``double.last_interaction``.
        """
        guild, channel = self._resolve_place(guild_id, channel_id, user)
        await self._ensure_member(guild, user)
        root, *path = command_name.split()
        if subcommand:
            path += subcommand.split()
        command, scope = self._find_command(root, guild, guild_command)
        values = dict(options or {})
        values[focused] = value
        built, resolved = await self._build_options(command, root, path, values, guild, focused=focused)
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self._fake_command_id(root)),
            "name": root,
            "type": 1,
            "options": built,
        }
        if resolved:
            data["resolved"] = resolved
        if scope is not None:
            data["guild_id"] = str(scope)
        record = await self._dispatch_interaction(
            INTERACTION_AUTOCOMPLETE, user, guild, channel, data, command_name=" ".join([root, *path])
        )
        await self._wait_response(record, timeout)
        if record.response_type != CALLBACK_AUTOCOMPLETE_RESULT:
            raise AssertionError(f"autocomplete answered with callback type {record.response_type}, expected 8")
        return record.choices or []

    async def click(
        self,
        message: Message | int,
        custom_id: str,
        user: User,
        *,
        values: list[str] | None = None,
        wait: bool = True,
        timeout: float = 5.0,
        settle: bool = True,
    ) -> InteractionRecord:
        """Press the button (or pick ``values`` in the select) ``custom_id`` on a bot message.

        Raises ``KeyError`` if the message has no such component and ``ValueError`` if it is
        disabled, since a real user could not click it either. ``settle=False`` presses without
        first waiting for the bot's REST calls to finish (a user does not wait for a slow edit).
        """
        msg = self._message_or_error(message)
        component = msg.component(custom_id)
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} on message {msg.id} is disabled")
        guild = None if msg.guild_id is None else self.guilds[msg.guild_id]
        channel = self._channel_or_404(msg.channel_id)
        await self._ensure_member(guild, user)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = list(values or [])
        record = await self._dispatch_interaction(
            INTERACTION_MESSAGE_COMPONENT,
            user,
            guild,
            channel,
            data,
            source_message=msg,
            custom_id=custom_id,
            settle=settle,
        )
        if wait:
            await self._wait_response(record, timeout, settle=settle)
        return record

    async def click_button(self, message: Message | int, label: str, user: User, **kwargs: Any) -> InteractionRecord:
        """``click`` by the button's visible label."""
        msg = self._message_or_error(message)
        return await self.click(msg, msg.button_by_label(label)["custom_id"], user, **kwargs)

    async def submit_modal(
        self,
        opened_by: InteractionRecord,
        user: User,
        values: dict[str, str],
        *,
        wait: bool = True,
        timeout: float = 5.0,
    ) -> InteractionRecord:
        """Fill the modal the bot answered ``opened_by`` with (callback 9) and submit it.

        ``values`` maps text-input custom_ids to what the user typed.
        """
        modal = opened_by.modal
        if modal is None:
            raise ValueError(f"{opened_by!r} was not answered with a modal")
        guild = None if opened_by.guild_id is None else self.guilds[opened_by.guild_id]
        channel = self._channel_or_404(opened_by.channel_id)

        def fill(component: dict[str, Any]) -> dict[str, Any]:
            if component.get("type") == 1:
                return {"type": 1, "components": [fill(c) for c in component.get("components") or []]}
            if component.get("type") == 18:  # label wrapping an input
                return {"type": 18, "component": fill(component["component"])}
            cid = component.get("custom_id")
            return {"type": component.get("type"), "custom_id": cid, "value": values.get(cid, "")}

        known = {
            c.get("custom_id")
            for row in modal.get("components") or []
            for c in [*(row.get("components") or []), row.get("component") or {}]
        }
        unknown = set(values) - known
        if unknown:
            raise KeyError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(unknown)}; it has {known}")
        data = {"custom_id": modal["custom_id"], "components": [fill(c) for c in modal.get("components") or []]}
        record = await self._dispatch_interaction(
            INTERACTION_MODAL_SUBMIT,
            user,
            guild,
            channel,
            data,
            source_message=opened_by.source_message,
            custom_id=modal["custom_id"],
        )
        if wait:
            await self._wait_response(record, timeout)
        return record

    @property
    def last_interaction(self) -> InteractionRecord:
        return next(reversed(self.interaction_responses.values()))

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        *,
        status: int = 403,
        code: int = 50013,
        message: str = "Missing Permissions",
        times: int = 1,
    ) -> None:
        """Make the next ``times`` matching REST calls fail (e.g. to test error handling).

        Avoid 5xx: discord.py retries those with 1s+ sleeps.
        """
        self._failures.append(
            {
                "method": method.upper(),
                "pattern": re.compile(path_pattern),
                "status": status,
                "body": {"code": code, "message": message},
                "left": times,
            }
        )

    def slow_next(self, method: str, path_pattern: str, *, seconds: float, times: int = 1) -> None:
        """Make the next ``times`` matching REST calls take ``seconds`` before they are answered,
        as a rate-limited or overloaded Discord does. The request is recorded on arrival, so
        ``wait_for_request`` sees it while it is still pending."""
        self._slow_routes.append(
            {"method": method.upper(), "pattern": re.compile(path_pattern), "seconds": seconds, "left": times}
        )

    def _take_slowness(self, record: RecordedRequest) -> float:
        for slow in self._slow_routes:
            if slow["method"] == record.method and slow["pattern"].search(record.path):
                slow["left"] -= 1
                if slow["left"] <= 0:
                    self._slow_routes.remove(slow)
                return slow["seconds"]
        return 0.0

    # ------------------------------------------------------------------ query helpers

    def messages_in(self, channel: Channel | int, *, include_deleted: bool = False) -> list[Message]:
        cid = _id(channel)
        return [m for m in self.messages if m.channel_id == cid and (include_deleted or not m.deleted)]

    def message(self, message_id: int) -> Message:
        return self._message_or_error(message_id)

    def message_writes(self) -> list[RecordedRequest]:
        """Every successful request that created or edited a message (for mention audits)."""
        writes = []
        for r in self.requests:
            if r.status is None or r.status >= 300 or r.method not in ("POST", "PATCH"):
                continue
            if r.path.startswith("/interactions/"):
                if isinstance(r.json, dict) and r.json.get("type") in (4, 7):
                    writes.append(r)
            elif re.fullmatch(r"/channels/\d+/messages(/\d+)?|/webhooks/\d+/[^/]+(/messages/[^/]+)?", r.path):
                writes.append(r)
        return writes

    # ------------------------------------------------------------------ interactions

    def _fake_command_id(self, name: str) -> int:
        # Stable per name so repeated invocations look like the same registered command.
        return (self.application_id ^ hash(name)) & ((1 << 62) - 1)

    def _find_command(
        self, name: str, guild: Guild | None, guild_command: bool | None = None
    ) -> tuple[dict[str, Any] | None, int | None]:
        """The synced payload and its scope: guild commands shadow global ones, as in the
        Discord client. discord.py resolves by name and uses ``data.guild_id`` to pick the
        guild vs global tree, so the scope must match where the bot registered it."""
        guild_cmd = None if guild is None else self.commands.get(guild.id, {}).get(name)
        global_cmd = self.commands.get(None, {}).get(name)
        if guild_command is None:
            if guild_cmd is not None:
                return guild_cmd, guild.id  # type: ignore[union-attr]
            return global_cmd, None
        if guild_command:
            if guild is None:
                raise ValueError("guild_command=True needs a guild")
            return guild_cmd, guild.id
        return global_cmd, None

    async def _build_options(
        self,
        command: dict[str, Any] | None,
        root: str,
        path: list[str],
        values: dict[str, Any],
        guild: Guild | None,
        *,
        focused: str | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        schema: list[dict[str, Any]] | None = None if command is None else list(command.get("options") or [])
        wrappers: list[tuple[str, int]] = []
        for depth, name in enumerate(path):
            last = depth == len(path) - 1
            if schema is None:
                wrappers.append((name, 1 if last else 2))
                continue
            sub = next((o for o in schema if o["name"] == name and o["type"] in (1, 2)), None)
            if sub is None:
                names = [o["name"] for o in schema if o["type"] in (1, 2)]
                raise ValueError(f"/{root} has no subcommand {name!r}; it has {names}")
            wrappers.append((name, sub["type"]))
            schema = list(sub.get("options") or [])
        if schema is not None and any(o["type"] in (1, 2) for o in schema):
            raise ValueError(f"/{' '.join([root, *path])} needs a subcommand")

        resolved: dict[str, dict[str, Any]] = {}
        leaf: list[dict[str, Any]] = []
        for name, value in values.items():
            spec = None if schema is None else next((o for o in schema if o["name"] == name), None)
            if schema is not None and spec is None:
                raise ValueError(
                    f"/{' '.join([root, *path])} has no option {name!r}; it has {[o['name'] for o in schema]}"
                )
            otype = spec["type"] if spec else self._infer_option_type(value)
            entry: dict[str, Any] = {"name": name, "type": otype}
            if name == focused:
                # Discord sends whatever the user has typed so far, unvalidated.
                entry["value"] = value
                entry["focused"] = True
            else:
                entry["value"] = await self._encode_option(otype, value, resolved, guild)
                choices = (spec or {}).get("choices")
                if choices and entry["value"] not in [c["value"] for c in choices]:
                    raise ValueError(f"option {name!r}={value!r} is not one of the choices {choices}")
            leaf.append(entry)
        if schema is not None and focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
            if missing:
                raise ValueError(f"/{' '.join([root, *path])} is missing required options {missing}")

        options = leaf
        for name, otype in reversed(wrappers):
            options = [{"name": name, "type": otype, "options": options}]
        return options, resolved

    @staticmethod
    def _infer_option_type(value: Any) -> int:
        if isinstance(value, bool):
            return 5
        if isinstance(value, int):
            return 4
        if isinstance(value, float):
            return 10
        if isinstance(value, User):
            return 6
        if isinstance(value, Channel):
            return 7
        if isinstance(value, Role):
            return 8
        if isinstance(value, AttachmentUpload):
            return 11
        return 3

    async def _encode_option(self, otype: int, value: Any, resolved: dict[str, Any], guild: Guild | None) -> Any:
        if otype == 3:
            return str(value)
        if otype == 4:
            return int(value)
        if otype == 5:
            return bool(value)
        if otype == 10:
            return float(value)
        if otype in (6, 9) and isinstance(value, User | int) and not isinstance(value, Role):
            user = value if isinstance(value, User) else self.users[int(value)]
            await self._ensure_member(guild, user)
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if guild is not None:
                member = self._member_payload(guild, user, with_user=False, with_permissions=True)
                resolved.setdefault("members", {})[str(user.id)] = member
            return str(user.id)
        if otype == 7:
            channel = value if isinstance(value, Channel) else self._channel_or_404(_id(value))
            perms = 0 if guild is None else self._permissions_in(guild, self.bot_user)
            resolved.setdefault("channels", {})[str(channel.id)] = channel.payload() | {"permissions": str(perms)}
            return str(channel.id)
        if otype in (8, 9):
            role = value if isinstance(value, Role) else (guild.role(_id(value)) if guild else None)
            if role is None:
                raise ValueError(f"cannot resolve role {value!r} outside a guild")
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            return str(role.id)
        if otype == 11:
            if not isinstance(value, AttachmentUpload):
                raise TypeError("attachment options take double.upload(filename, data)")
            resolved.setdefault("attachments", {})[str(value.id)] = value.payload()
            return str(value.id)
        return value

    async def _dispatch_interaction(
        self,
        itype: int,
        user: User,
        guild: Guild | None,
        channel: Channel,
        data: dict[str, Any],
        *,
        source_message: Message | None = None,
        command_name: str | None = None,
        custom_id: str | None = None,
        settle: bool = True,
    ) -> InteractionRecord:
        if settle:
            await self.settle()
        iid = next_snowflake()
        token = f"double-{iid}-{secrets.token_urlsafe(16)}"
        app_perms = self._bot_permissions_in(channel) if guild else 0
        channel_data = channel.payload()
        if guild is not None:
            channel_data["permissions"] = str(self._permissions_in(guild, user))
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel_data,
            "locale": "en-US",
            "app_permissions": str(app_perms),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "context": 0 if guild is not None else 1,
            "authorizing_integration_owners": {"0": str(guild.id) if guild else "0"},
        }
        if guild is not None:
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = self._member_payload(guild, user, with_permissions=True)
        else:
            payload["user"] = user.payload()
        if source_message is not None:
            payload["message"] = source_message.payload()
        record = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            user=user,
            guild_id=None if guild is None else guild.id,
            channel_id=channel.id,
            payload=payload,
            dispatched_at=asyncio.get_running_loop().time(),
            command_name=command_name,
            custom_id=custom_id,
            source_message=source_message,
        )
        self.interaction_responses[iid] = record
        self._tokens[token] = record
        await self._send_dispatch("INTERACTION_CREATE", payload)
        return record

    async def _wait_response(self, record: InteractionRecord, timeout: float, *, settle: bool = True) -> None:
        await self.wait_for(lambda: record.responded or record.rejected, timeout, what=f"a response to {record!r}")
        if not record.responded:
            status, body = record.rejected[0]
            raise AssertionError(f"Discord would have refused the response to {record!r}: {status} {body}")
        if settle:
            await self.settle(timeout)

    # ------------------------------------------------------------------ REST plumbing

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        sf = r"(\d+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", rf"/users/{sf}", self._get_user),
            ("PUT", rf"/applications/{sf}/commands", self._put_commands),
            ("GET", rf"/applications/{sf}/commands", self._get_commands),
            ("POST", rf"/applications/{sf}/commands", self._post_command),
            ("DELETE", rf"/applications/{sf}/commands/{sf}", self._delete_command),
            ("PUT", rf"/applications/{sf}/guilds/{sf}/commands", self._put_commands),
            ("GET", rf"/applications/{sf}/guilds/{sf}/commands", self._get_commands),
            ("POST", rf"/applications/{sf}/guilds/{sf}/commands", self._post_command),
            ("DELETE", rf"/applications/{sf}/guilds/{sf}/commands/{sf}", self._delete_command),
            ("POST", rf"/interactions/{sf}/([^/]+)/callback", self._interaction_callback),
            ("POST", rf"/webhooks/{sf}/([^/]+)", self._webhook_execute),
            ("GET", rf"/webhooks/{sf}/([^/]+)/messages/(@original|\d+)", self._webhook_get_message),
            ("PATCH", rf"/webhooks/{sf}/([^/]+)/messages/(@original|\d+)", self._webhook_edit_message),
            ("DELETE", rf"/webhooks/{sf}/([^/]+)/messages/(@original|\d+)", self._webhook_delete_message),
            ("GET", rf"/channels/{sf}", self._get_channel),
            ("POST", rf"/channels/{sf}/typing", self._no_content),
            ("POST", rf"/channels/{sf}/messages", self._create_message),
            ("GET", rf"/channels/{sf}/messages", self._list_messages),
            ("POST", rf"/channels/{sf}/messages/bulk-delete", self._bulk_delete),
            ("GET", rf"/channels/{sf}/messages/{sf}", self._get_message),
            ("PATCH", rf"/channels/{sf}/messages/{sf}", self._edit_message),
            ("DELETE", rf"/channels/{sf}/messages/{sf}", self._delete_message),
            ("PUT", rf"/channels/{sf}/messages/{sf}/reactions/([^/]+)/@me", self._add_reaction),
            ("DELETE", rf"/channels/{sf}/messages/{sf}/reactions/([^/]+)/@me", self._remove_reaction),
            ("PUT", rf"/channels/{sf}/(?:messages/)?pins/{sf}", self._pin),
            ("DELETE", rf"/channels/{sf}/(?:messages/)?pins/{sf}", self._unpin),
            ("GET", rf"/guilds/{sf}", self._get_guild),
            ("GET", rf"/guilds/{sf}/channels", self._get_guild_channels),
            ("GET", rf"/guilds/{sf}/roles", self._get_guild_roles),
            ("GET", rf"/guilds/{sf}/members", self._list_members),
            ("GET", rf"/guilds/{sf}/members/{sf}", self._get_member),
        ]
        return [(method, re.compile(pattern), handler) for method, pattern, handler in table]

    async def _read_body(self, request: web.Request) -> tuple[Any, list[RecordedFile]]:
        files: list[RecordedFile] = []
        if request.content_type.startswith("multipart/"):
            body = None
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    raw = await part.read(decode=False)
                    ctype = part.headers.get("Content-Type")
                    files.append(RecordedFile(part.name or "", part.filename or "", ctype, bytes(raw)))
            return body, files
        raw = await request.read()
        if not raw:
            return None, files
        if request.content_type == "application/json":
            return json.loads(raw), files
        return raw.decode("utf-8", errors="replace"), files

    def _take_failure(self, record: RecordedRequest) -> tuple[int, Any] | None:
        for failure in self._failures:
            if failure["method"] == record.method and failure["pattern"].search(record.path):
                failure["left"] -= 1
                if failure["left"] <= 0:
                    self._failures.remove(failure)
                return failure["status"], failure["body"]
        return None

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "content-type", "x-audit-log-reason")
        }
        record = RecordedRequest(request.method, path, dict(request.query), body, files, headers)
        self.requests.append(record)
        admission = self.rate_limiter.admit(request.method, path)
        response_headers = {"Via": "1.1 google", **admission.headers}  # discord.py trusts a 429 only with Via
        if admission.refused is not None:
            record.status, record.response = 429, admission.refused
            log.info("DiscordDouble rate-limited %s %s: %s", request.method, path, admission.refused)
            await self._notify()
            return json_response(admission.refused, 429, response_headers)
        delay = self._take_slowness(record)
        if delay:
            await self._notify()
            await asyncio.sleep(delay)
        try:
            injected = self._take_failure(record)
            if injected is not None:
                status, payload = injected
            else:
                status, payload = await self._route(record)
        except PayloadError as exc:
            status, payload = 400, exc.body()
        except ApiError as exc:
            status, payload = exc.status, {"code": exc.code, "message": exc.message}
        except Exception as exc:  # a bug in the double must not look like a hung bot
            log.exception("DiscordDouble handler crashed for %s %s", request.method, path)
            self.internal_errors.append(exc)
            status, payload = 400, {"code": 0, "message": f"DiscordDouble internal error: {exc!r}"}
        record.status, record.response = status, payload
        if status >= 400:
            log.info("DiscordDouble answered %s %s with %s %s", request.method, path, status, payload)
        await self._notify()
        if status == 204:
            return web.Response(status=204, headers=response_headers)
        return json_response(payload, status, response_headers)

    async def _route(self, record: RecordedRequest) -> tuple[int, Any]:
        for method, pattern, handler in self._routes:
            if method == record.method and (match := pattern.fullmatch(record.path)):
                return await handler(record, *match.groups())
        self.unhandled.append(record)
        log.warning("DiscordDouble has no route for %s %s", record.method, record.path)
        return 404, {
            "code": 0,
            "message": f"404: Not Found (DiscordDouble has no route for {record.method} {record.path})",
        }

    async def _attachment_handler(self, request: web.Request) -> web.StreamResponse:
        upload = self._uploads.get(int(request.match_info["id"]))
        if upload is None:
            return web.Response(status=404)
        return web.Response(body=upload.data, headers={"Content-Type": upload.content_type})

    async def _cdn_handler(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=_PNG_1X1, headers={"Content-Type": "image/png"})

    # ------------------------------------------------------------------ REST: session

    async def _get_gateway(self, record: RecordedRequest) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, record: RecordedRequest) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": self.shard_count, "session_start_limit": limit}

    async def _get_me(self, record: RecordedRequest) -> tuple[int, Any]:
        return 200, self.bot_user.payload() | {"verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"}

    async def _get_application(self, record: RecordedRequest) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_user.name,
            "icon": None,
            "description": "",
            "summary": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner.payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "tags": [],
            "bot": self.bot_user.payload(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "approximate_guild_count": len(self.guilds),
        }

    async def _get_user(self, record: RecordedRequest, user_id: str) -> tuple[int, Any]:
        user = self.users.get(int(user_id))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, user.payload()

    async def _create_dm(self, record: RecordedRequest) -> tuple[int, Any]:
        user = self.users.get(int((record.json or {}).get("recipient_id", 0)))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, self._dm_channel(user).payload()

    # ------------------------------------------------------------------ REST: commands

    async def _put_commands(self, record: RecordedRequest, app_id: str, guild_id: str | None = None) -> tuple[int, Any]:
        self._check_app(app_id)
        scope = None if guild_id is None else int(guild_id)
        if scope is not None and scope not in self.guilds:
            raise ApiError(403, 50001, "Missing Access")
        existing = self.commands.get(scope, {})
        synced: dict[str, dict[str, Any]] = {}
        for payload in record.json or []:
            synced[payload["name"]] = self._store_command(payload, scope, existing.get(payload["name"]))
        self.commands[scope] = synced
        return 200, list(synced.values())

    async def _get_commands(self, record: RecordedRequest, app_id: str, guild_id: str | None = None) -> tuple[int, Any]:
        self._check_app(app_id)
        return 200, list(self.commands.get(None if guild_id is None else int(guild_id), {}).values())

    async def _post_command(self, record: RecordedRequest, app_id: str, guild_id: str | None = None) -> tuple[int, Any]:
        self._check_app(app_id)
        scope = None if guild_id is None else int(guild_id)
        bucket = self.commands.setdefault(scope, {})
        payload = record.json or {}
        bucket[payload["name"]] = self._store_command(payload, scope, bucket.get(payload["name"]))
        return 200, bucket[payload["name"]]

    async def _delete_command(self, record: RecordedRequest, app_id: str, *ids: str) -> tuple[int, Any]:
        self._check_app(app_id)
        scope = None if len(ids) == 1 else int(ids[0])
        bucket = self.commands.get(scope, {})
        for name, cmd in list(bucket.items()):
            if cmd["id"] == ids[-1]:
                del bucket[name]
                return 204, None
        raise ApiError(404, 10063, "Unknown application command")

    def _store_command(self, payload: dict[str, Any], scope: int | None, old: dict[str, Any] | None) -> dict[str, Any]:
        command = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            **payload,
            # Discord keeps a command's id across bulk overwrites when the name is unchanged.
            "id": old["id"] if old else str(next_snowflake()),
            "application_id": str(self.application_id),
            "version": str(next_snowflake()),
        }
        if scope is not None:
            command["guild_id"] = str(scope)
        return command

    def _check_app(self, app_id: str) -> None:
        if int(app_id) != self.application_id:
            raise ApiError(403, 50001, "Missing Access")

    # ------------------------------------------------------------------ REST: messages

    def _store_bot_file(self, file: RecordedFile) -> dict[str, Any]:
        upload = self.upload(file.filename or "file", file.data, file.content_type)
        return upload.payload()

    def _apply_write(self, msg: Message, body: dict[str, Any], files: list[RecordedFile], *, creating: bool) -> None:
        was_loading = msg.loading
        if "content" in body:
            msg.content = body["content"] or ""
        if "embeds" in body:
            msg.embeds = list(body["embeds"] or [])
        if "components" in body:
            msg.components = list(body["components"] or [])
        if "poll" in body:
            msg.poll = body["poll"]
        if "tts" in body:
            msg.tts = bool(body["tts"])
        if body.get("flags") is not None:
            # Ephemerality is fixed at creation; edits cannot toggle it.
            keep = msg.flags & FLAG_EPHEMERAL
            msg.flags = (
                (int(body["flags"]) & ~FLAG_EPHEMERAL) | keep if not creating else int(body["flags"]) | msg.flags
            )
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        new_attachments = [self._store_bot_file(f) for f in files]
        if creating:
            msg.attachments = new_attachments
        else:
            if "attachments" in body:
                # On edit, "attachments" lists the existing attachments to keep.
                keep_ids = {str(a.get("id")) for a in body["attachments"] or []}
                msg.attachments = [a for a in msg.attachments if a["id"] in keep_ids]
            msg.attachments += new_attachments
            msg.flags &= ~FLAG_LOADING
            if not was_loading:  # the first edit after a deferral replaces "thinking...", it is no "edit"
                msg.edited_timestamp = iso_now()
        msg.files += files
        msg.history.append(dict(body))

    def _new_bot_message(
        self,
        channel: Channel,
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        source: str,
        interaction: InteractionRecord | None = None,
        extra_flags: int = 0,
    ) -> Message:
        msg = Message(
            id=next_snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.bot_user,
            source=source,
            flags=extra_flags,
        )
        ref = body.get("message_reference")
        if ref:
            msg.message_reference = ref
            target = self._messages_by_id.get(int(ref.get("message_id", 0)))
            if target is None and ref.get("fail_if_not_exists", True):
                raise PayloadError(50035, "Invalid Form Body", {"message_reference": "Unknown message"})
            msg.referenced_author_id = None if target is None else target.author.id
        if interaction is not None:
            msg.interaction_id = interaction.id
            msg.webhook_id = self.application_id
            msg.application_id = self.application_id
            msg.type = 20 if interaction.type == INTERACTION_APPLICATION_COMMAND else 0
            msg.interaction_metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.payload(),
                "authorizing_integration_owners": interaction.payload["authorizing_integration_owners"],
            }
        elif ref:
            msg.type = 19  # REPLY
        self._apply_write(msg, body, files, creating=True)
        self.messages.append(msg)
        self._messages_by_id[msg.id] = msg
        return msg

    async def _dispatch_message_event(self, event: str, msg: Message, *, reply_to: Message | None = None) -> bool:
        """Deliver MESSAGE_CREATE/UPDATE/DELETE the way Discord would for this bot's intents.

        Returns whether the bot was sent the event.
        """
        for listener in self.message_listeners:
            listener(event, msg)
        if not self.echo_bot_messages and msg.author.id == self.bot_user.id:
            return False
        if msg.ephemeral or not self.holds(msg.guild_id):
            return False
        needed = INTENT_GUILD_MESSAGES if msg.guild_id is not None else INTENT_DIRECT_MESSAGES
        if self.enforce_intents and not self.intents & needed:
            return False
        if event == "MESSAGE_DELETE":
            data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id is not None:
                data["guild_id"] = str(msg.guild_id)
        else:
            data = msg.payload()
            guild = None if msg.guild_id is None else self.guilds[msg.guild_id]
            if guild is not None:
                data["member"] = self._member_payload(guild, msg.author, with_user=False)
            mentioned = self._mentioned_users(msg.content)
            data["mentions"] = [
                u.payload() | ({"member": self._member_payload(guild, u, with_user=False)} if guild else {})
                for u in mentioned
            ]
            data["mention_roles"] = re.findall(r"<@&(\d+)>", msg.content)
            if reply_to is not None:
                data["referenced_message"] = reply_to.payload()
            can_read = (
                not self.enforce_intents
                or self.intents & INTENT_MESSAGE_CONTENT
                or msg.guild_id is None
                or msg.author.id == self.bot_user.id
                or any(u.id == self.bot_user.id for u in mentioned)
            )
            if not can_read:
                # Message Content is privileged: without it Discord blanks these fields.
                data.update(content="", embeds=[], attachments=[], components=[])
        try:
            await self._send_dispatch(event, data)
        except (RuntimeError, ConnectionError):
            log.debug("DiscordDouble could not deliver %s (bot disconnected)", event)
            return False
        return True

    def _mentioned_users(self, content: str) -> list[User]:
        ids = dict.fromkeys(int(x) for x in re.findall(r"<@!?(\d+)>", content))
        return [self.users[i] for i in ids if i in self.users]

    def _message_or_error(self, message: Message | int) -> Message:
        msg = self._messages_by_id.get(_id(message))
        if msg is None:
            raise KeyError(f"DiscordDouble knows no message {message!r}")
        return msg

    def _live_message(self, channel_id: str, message_id: str) -> Message:
        msg = self._messages_by_id.get(int(message_id))
        # Ephemeral messages only exist for the interaction webhook, never for channel routes.
        if msg is None or msg.deleted or msg.ephemeral or msg.channel_id != int(channel_id):
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    def _validate(self, body: dict[str, Any], *, creating: bool, has_files: bool) -> None:
        if self.validate_payloads:
            validate_message(body, creating=creating, has_files=has_files)

    async def _create_message(self, record: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        channel = self._channel_or_404(int(channel_id))
        self._require_bot_permission(channel, SEND_MESSAGES)
        body = record.json or {}
        self._validate(body, creating=True, has_files=bool(record.files))
        msg = self._new_bot_message(channel, body, record.files, source="channel")
        reply_to = None
        if msg.message_reference:
            reply_to = self._messages_by_id.get(int(msg.message_reference.get("message_id", 0)))
        await self._dispatch_message_event("MESSAGE_CREATE", msg, reply_to=reply_to)
        return 200, msg.payload()

    async def _list_messages(self, record: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        self._channel_or_404(int(channel_id))
        limit = int(record.query.get("limit", 50))
        before = int(record.query.get("before", 1 << 63))
        after = int(record.query.get("after", 0))
        found = sorted(
            (
                m
                for m in self._messages_by_id.values()
                if m.channel_id == int(channel_id) and not m.deleted and not m.ephemeral and after < m.id < before
            ),
            key=lambda m: m.id,
            reverse=True,
        )
        return 200, [m.payload() for m in found[:limit]]

    async def _get_message(self, record: RecordedRequest, channel_id: str, message_id: str) -> tuple[int, Any]:
        return 200, self._live_message(channel_id, message_id).payload()

    async def _edit_message(self, record: RecordedRequest, channel_id: str, message_id: str) -> tuple[int, Any]:
        self._require_bot_permission(self._channel_or_404(int(channel_id)), VIEW_CHANNEL)
        msg = self._live_message(channel_id, message_id)
        body = record.json or {}
        if msg.author.id != self.bot_user.id and set(body) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self._validate(body, creating=False, has_files=bool(record.files))
        self._apply_write(msg, body, record.files, creating=False)
        await self._dispatch_message_event("MESSAGE_UPDATE", msg)
        return 200, msg.payload()

    async def _delete_message(self, record: RecordedRequest, channel_id: str, message_id: str) -> tuple[int, Any]:
        msg = self._live_message(channel_id, message_id)
        self._require_manage_messages(msg)
        msg.deleted = True
        await self._dispatch_message_event("MESSAGE_DELETE", msg)
        return 204, None

    async def _bulk_delete(self, record: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        for message_id in (record.json or {}).get("messages", []):
            msg = self._live_message(channel_id, message_id)
            self._require_manage_messages(msg)
            msg.deleted = True
            await self._dispatch_message_event("MESSAGE_DELETE", msg)
        return 204, None

    def _require_manage_messages(self, msg: Message) -> None:
        if msg.author.id == self.bot_user.id or msg.guild_id is None:
            return
        if not self._permissions_in(self.guilds[msg.guild_id], self.bot_user) & MANAGE_MESSAGES:
            raise ApiError(403, 50013, "Missing Permissions")

    async def _add_reaction(
        self, record: RecordedRequest, channel_id: str, message_id: str, emoji: str
    ) -> tuple[int, Any]:
        msg = self._live_message(channel_id, message_id)
        if emoji not in msg.reactions:
            msg.reactions.append(emoji)
        return 204, None

    async def _remove_reaction(
        self, record: RecordedRequest, channel_id: str, message_id: str, emoji: str
    ) -> tuple[int, Any]:
        msg = self._live_message(channel_id, message_id)
        if emoji in msg.reactions:
            msg.reactions.remove(emoji)
        return 204, None

    async def _pin(self, record: RecordedRequest, channel_id: str, message_id: str) -> tuple[int, Any]:
        self._live_message(channel_id, message_id).pinned = True
        return 204, None

    async def _unpin(self, record: RecordedRequest, channel_id: str, message_id: str) -> tuple[int, Any]:
        self._live_message(channel_id, message_id).pinned = False
        return 204, None

    async def _no_content(self, record: RecordedRequest, *_: str) -> tuple[int, Any]:
        return 204, None

    async def _get_channel(self, record: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        return 200, self._channel_or_404(int(channel_id)).payload()

    # ------------------------------------------------------------------ REST: guilds

    def _guild_or_404(self, guild_id: str) -> Guild:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    async def _get_guild(self, record: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        data = self._guild_create_payload(self._guild_or_404(guild_id))
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "member_count",
        ):
            data.pop(key, None)
        return 200, data

    async def _get_guild_channels(self, record: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        return 200, [c.payload() for c in self._guild_or_404(guild_id).channels]

    async def _get_guild_roles(self, record: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        return 200, [r.payload() for r in self._guild_or_404(guild_id).roles]

    async def _list_members(self, record: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        guild = self._guild_or_404(guild_id)
        limit = int(record.query.get("limit", 1))
        after = int(record.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return 200, [self._member_payload(guild, m) for m in members[:limit]]

    async def _get_member(self, record: RecordedRequest, guild_id: str, user_id: str) -> tuple[int, Any]:
        guild = self._guild_or_404(guild_id)
        user = guild.members.get(int(user_id))
        if user is None:
            raise ApiError(404, 10007, "Unknown Member")
        return 200, self._member_payload(guild, user)

    # ------------------------------------------------------------------ REST: interactions

    def expire_token(self, interaction: InteractionRecord) -> None:
        """Let ``interaction``'s token run out now, as 15 minutes after it was created: its webhook calls
        (followups, edits through it) are refused with 401 Invalid Webhook Token."""
        interaction.token_expired = True

    def _record_for_token(self, app_id: str, token: str) -> InteractionRecord:
        record = self._tokens.get(token)
        if record is None or int(app_id) != self.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        lifetime = self.interaction_token_lifetime
        age = asyncio.get_running_loop().time() - record.dispatched_at
        if record.token_expired or (lifetime is not None and age > lifetime):
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return record

    async def _interaction_callback(self, record: RecordedRequest, interaction_id: str, token: str) -> tuple[int, Any]:
        interaction = self.interaction_responses.get(int(interaction_id))
        if interaction is None or interaction.token != token:
            raise ApiError(404, 10062, "Unknown interaction")
        body = record.json or {}
        now = asyncio.get_running_loop().time()
        try:
            if interaction.responded:
                raise ApiError(400, 40060, "Interaction has already been acknowledged.")
            if self.interaction_deadline is not None and now - interaction.dispatched_at > self.interaction_deadline:
                # Discord forgets interactions not acknowledged within 3 seconds.
                raise ApiError(404, 10062, "Unknown interaction")
            return 200, await self._accept_callback(interaction, body, record.files, now)
        except (ApiError, PayloadError) as exc:
            error = {"code": exc.code, "message": exc.message} if isinstance(exc, ApiError) else exc.body()
            interaction.rejected.append((exc.status if isinstance(exc, ApiError) else 400, error))
            raise

    async def _accept_callback(
        self, interaction: InteractionRecord, body: dict[str, Any], files: list[RecordedFile], now: float
    ) -> dict[str, Any]:
        rtype = body.get("type")
        data = body.get("data") or {}
        allowed = {
            INTERACTION_APPLICATION_COMMAND: {4, 5, 9},
            INTERACTION_MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            INTERACTION_AUTOCOMPLETE: {8},
            INTERACTION_MODAL_SUBMIT: {4, 5, 6, 7},
        }[interaction.type]
        if rtype not in allowed:
            raise ApiError(400, 40000, f"callback type {rtype} is not valid for interaction type {interaction.type}")
        if rtype in (6, 7) and interaction.source_message is None:
            raise ApiError(400, 40000, "no message to update for this interaction")
        if rtype == CALLBACK_CHANNEL_MESSAGE:
            self._validate(data, creating=True, has_files=bool(files))
        elif rtype == CALLBACK_UPDATE_MESSAGE:
            self._validate(data, creating=False, has_files=bool(files))
        elif rtype == CALLBACK_AUTOCOMPLETE_RESULT and self.validate_payloads:
            validate_choices(data)
        elif rtype == CALLBACK_MODAL and self.validate_payloads:
            validate_modal(data)

        interaction.response_type = rtype
        interaction.response_data = data
        interaction.response_files = list(files)
        interaction.responded_at = now
        callback: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        resource: dict[str, Any] = {"type": rtype}
        pending_event: tuple[str, Message] | None = None

        if rtype in (CALLBACK_CHANNEL_MESSAGE, CALLBACK_DEFERRED_CHANNEL_MESSAGE):
            channel = self._channel_or_404(interaction.channel_id)
            flags = int(data.get("flags") or 0)
            if rtype == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
                flags |= FLAG_LOADING
                content: dict[str, Any] = {"flags": flags}
            else:
                content = dict(data) | {"flags": flags}
            msg = self._new_bot_message(channel, content, files, source="interaction", interaction=interaction)
            interaction.message = msg
            callback |= {
                "response_message_id": str(msg.id),
                "response_message_loading": rtype == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": msg.ephemeral,
            }
            resource["message"] = msg.payload()
            pending_event = ("MESSAGE_CREATE", msg)
        elif rtype in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            target = interaction.source_message
            assert target is not None
            interaction.message = target
            if rtype == CALLBACK_UPDATE_MESSAGE:
                self._apply_write(target, data, files, creating=False)
                resource["message"] = target.payload()
                pending_event = ("MESSAGE_UPDATE", target)
            callback["response_message_id"] = str(target.id)

        if pending_event is not None:
            await self._dispatch_message_event(*pending_event)
        return {"interaction": callback, "resource": resource}

    async def _webhook_execute(self, record: RecordedRequest, app_id: str, token: str) -> tuple[int, Any]:
        interaction = self._record_for_token(app_id, token)
        if not interaction.responded:
            raise ApiError(404, 10015, "Unknown Webhook")
        body = record.json or {}
        if interaction.message is not None and interaction.message.loading:
            # After a deferral the first followup *replaces* the "thinking..." message.
            msg = interaction.message
            self._validate(body, creating=False, has_files=bool(record.files))
            self._apply_write(msg, body, record.files, creating=False)
            interaction.followups.append(msg)
            await self._dispatch_message_event("MESSAGE_UPDATE", msg)
            return 200, msg.payload()
        self._validate(body, creating=True, has_files=bool(record.files))
        channel = self._channel_or_404(interaction.channel_id)
        msg = self._new_bot_message(channel, body, record.files, source="followup", interaction=interaction)
        interaction.followups.append(msg)
        await self._dispatch_message_event("MESSAGE_CREATE", msg)
        return 200, msg.payload()

    def _webhook_message(self, interaction: InteractionRecord, message_id: str) -> Message:
        if message_id == "@original":
            msg = interaction.message
        else:
            msg = next((m for m in interaction.all_messages if m.id == int(message_id)), None)
        if msg is None or msg.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def _webhook_get_message(self, record: RecordedRequest, app_id: str, token: str, mid: str) -> tuple[int, Any]:
        interaction = self._record_for_token(app_id, token)
        return 200, self._webhook_message(interaction, mid).payload()

    async def _webhook_edit_message(
        self, record: RecordedRequest, app_id: str, token: str, mid: str
    ) -> tuple[int, Any]:
        interaction = self._record_for_token(app_id, token)
        msg = self._webhook_message(interaction, mid)
        body = record.json or {}
        self._validate(body, creating=False, has_files=bool(record.files))
        self._apply_write(msg, body, record.files, creating=False)
        if mid == "@original" or msg is interaction.message:
            interaction.edits.append(body)
        await self._dispatch_message_event("MESSAGE_UPDATE", msg)
        return 200, msg.payload()

    async def _webhook_delete_message(
        self, record: RecordedRequest, app_id: str, token: str, mid: str
    ) -> tuple[int, Any]:
        interaction = self._record_for_token(app_id, token)
        msg = self._webhook_message(interaction, mid)
        msg.deleted = True
        await self._dispatch_message_event("MESSAGE_DELETE", msg)
        return 204, None
