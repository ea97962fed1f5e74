"""Plain data model behind the Discord double: users, guilds, messages and what the bot did.

The double keeps its own small, explicit world (who is in which guild, which messages exist)
instead of echoing back whatever the bot sends, because end-to-end tests need to assert on
*what a Discord user would see* -- the final state of a message after edits, whether a reply
would ping someone, whether an interaction was answered in time -- not just on raw requests.

Everything here is synchronous and JSON-shaped; the asyncio/HTTP side lives in ``server.py``.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions). Only the ones the
# double needs to reason about, plus the default set a plain member gets through @everyone.
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
# Wide enough for every bit Discord defines today; Administrator resolves to this.
ALL_PERMISSIONS = (1 << 53) - 1

# What @everyone can do in a freshly created Discord server (close enough for bot tests).
MEMBER_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
MODERATOR_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD | MANAGE_MESSAGES
BOT_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS

# Message flags the double interprets.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_COMPONENTS_V2 = 1 << 15

# Interaction types (what Discord sends) and callback types (what the bot answers).
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE_RESULT = 8
CALLBACK_MODAL = 9

_snowflake_lock = threading.Lock()
_snowflake_counter = itertools.count(1)
_last_snowflake = 0


def next_snowflake() -> int:
    """A unique, increasing, time-based id (so ``discord.utils.snowflake_time`` stays sensible)."""
    global _last_snowflake
    with _snowflake_lock:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (ms << 22) | (next(_snowflake_counter) & 0xFFF)
        # Strictly increasing even when the clock does not move between calls, because tests
        # compare ids to reason about message order.
        _last_snowflake = max(candidate, _last_snowflake + 1)
        return _last_snowflake


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def effective_permissions(permissions: int) -> int:
    """Administrator implies every permission, exactly as Discord computes it."""
    return ALL_PERMISSIONS if permissions & ADMINISTRATOR else permissions


@dataclass(eq=False)
class User:
    """A Discord account as seen by the bot.

    ``permissions`` is the member's guild-wide permission integer. The double always adds the
    guild's @everyone permissions on top (you cannot have less than @everyone on Discord), and
    materialises the extra bits as a role so that both interaction checks
    (``interaction.permissions``) and role-based checks (``channel.permissions_for(member)``,
    used by text commands) agree.
    """

    id: int
    name: str
    permissions: int = MEMBER_PERMISSIONS
    bot: bool = False
    global_name: str | None = None

    @classmethod
    def member(cls, name: str, *, id: int | None = None) -> User:
        """An ordinary member with only the @everyone permissions."""
        return cls(id=id or next_snowflake(), name=name, permissions=MEMBER_PERMISSIONS)

    @classmethod
    def moderator(cls, name: str, *, id: int | None = None) -> User:
        """A member holding Manage Guild (0x20) and Manage Messages."""
        return cls(id=id or next_snowflake(), name=name, permissions=MODERATOR_PERMISSIONS)

    @classmethod
    def admin(cls, name: str, *, id: int | None = None) -> User:
        return cls(id=id or next_snowflake(), name=name, permissions=MEMBER_PERMISSIONS | ADMINISTRATOR)

    @property
    def is_moderator(self) -> bool:
        return bool(effective_permissions(self.permissions) & MANAGE_GUILD)

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(eq=False)
class Role:
    id: int
    name: str
    permissions: int
    position: int = 1
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass(eq=False)
class Channel:
    """A guild text channel (type 0) or a DM channel (type 1)."""

    id: int
    name: str
    guild_id: int | None
    type: int = 0
    position: int = 0
    topic: str | None = None
    recipient: User | None = None
    # Permissions the bot is denied in this channel, as a channel overwrite would (see deny_bot);
    # sent as a member overwrite for ``bot_id`` so the bot's cache computes the same permissions.
    bot_denied: int = 0
    bot_id: int = 0

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self) -> dict[str, Any]:
        if self.type == 1:
            return {
                "id": str(self.id),
                "type": 1,
                "last_message_id": None,
                "recipients": [self.recipient.payload()] if self.recipient else [],
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": (
                [{"id": str(self.bot_id), "type": 1, "allow": "0", "deny": str(self.bot_denied)}]
                if self.bot_denied
                else []
            ),
            "topic": self.topic,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "last_message_id": None,
            "flags": 0,
        }


@dataclass(eq=False)
class Guild:
    """A guild: channels, roles and the members the double knows about.

    The @everyone role's id is the guild id, as on Discord.
    """

    id: int
    name: str
    owner_id: int
    everyone_permissions: int = MEMBER_PERMISSIONS
    channels: list[Channel] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    members: dict[int, User] = field(default_factory=dict)
    joined_at: str = field(default_factory=iso_now)

    def channel(self, name_or_id: str | int) -> Channel:
        for channel in self.channels:
            if channel.name == name_or_id or channel.id == name_or_id:
                return channel
        raise KeyError(f"guild {self.name!r} has no channel {name_or_id!r}")

    def role(self, name_or_id: str | int) -> Role:
        for role in self.roles:
            if role.name == name_or_id or role.id == name_or_id:
                return role
        raise KeyError(f"guild {self.name!r} has no role {name_or_id!r}")

    @property
    def text_channels(self) -> list[Channel]:
        return [c for c in self.channels if c.type == 0]

    def member_permissions(self, user: User) -> int:
        return effective_permissions(user.permissions | self.everyone_permissions)

    def role_for(self, permissions: int) -> tuple[Role | None, bool]:
        """The role carrying ``permissions`` beyond @everyone, created on demand.

        Returns ``(role, created)`` so the server can announce new roles to a connected bot.
        """
        extra = permissions & ~self.everyone_permissions
        if not extra:
            return None, False
        for role in self.roles:
            if not role.managed and role.id != self.id and role.permissions == extra:
                return role, False
        if extra & ADMINISTRATOR:
            name = "Admin"
        elif extra & MANAGE_GUILD:
            name = "Moderator"
        else:
            name = f"perms-{extra:#x}"
        if any(r.name == name for r in self.roles):
            name = f"{name}-{extra:#x}"
        role = Role(id=next_snowflake(), name=name, permissions=extra, position=len(self.roles))
        self.roles.append(role)
        return role, True


@dataclass
class RecordedFile:
    """A file the bot uploaded (multipart ``files[n]``)."""

    field: str
    filename: str
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass
class AttachmentUpload:
    """A file a *user* attaches (slash option of type 11, or a message attachment).

    Served by the double at ``url`` so the bot can download it over 127.0.0.1.
    """

    id: int
    filename: str
    data: bytes
    content_type: str
    url: str

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "ephemeral": False,
        }


@dataclass
class RecordedRequest:
    """One REST call the bot made, in arrival order.

    ``json`` is the JSON body, or the parsed ``payload_json`` part of a multipart upload.
    """

    method: str
    path: str  # without the /api/v10 prefix, percent-decoded
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    headers: dict[str, str]
    status: int | None = None
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def message_body(self) -> dict[str, Any] | None:
        """The message-shaped part of the body (interaction callbacks nest it under ``data``)."""
        if not isinstance(self.json, dict):
            return None
        if self.path.startswith("/interactions/"):
            data = self.json.get("data")
            return data if isinstance(data, dict) else None
        return self.json

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        body = self.message_body
        return None if body is None else body.get("allowed_mentions")

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.path} -> {self.status}>"


@dataclass
class Pings:
    """Who a message would actually notify, given its content and ``allowed_mentions``."""

    users: set[int]
    roles: set[int]
    everyone: bool

    def __bool__(self) -> bool:
        return bool(self.users or self.roles or self.everyone)


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass(eq=False)
class Message:
    """A message as it currently exists on the double (after any edits).

    ``source`` tells where it came from: ``"channel"`` (POST /channels/{id}/messages),
    ``"interaction"`` (an interaction callback of type 4/5), ``"followup"`` (webhook followup)
    or ``"user"`` (a message a test sent on behalf of a user).
    """

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    source: str
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: list[RecordedFile] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    referenced_author_id: int | None = None
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    type: int = 0
    tts: bool = False
    pinned: bool = False
    poll: dict[str, Any] | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    deleted: bool = False
    reactions: list[str] = field(default_factory=list)
    # For user messages: whether the bot was sent MESSAGE_CREATE (intents may prevent it).
    delivered: bool | None = None
    # Every write (create first, then each edit) as the bot sent it, for tests that care
    # about intermediate states or about allowed_mentions on every single write.
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while a deferred ("Bot is thinking...") response has not been edited yet."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def reply_to_id(self) -> int | None:
        """Id of the message this one replies to (discord.py sends it as int, Discord as str)."""
        ref = self.message_reference or {}
        return None if ref.get("message_id") is None else int(ref["message_id"])

    @property
    def edited(self) -> bool:
        return self.edited_timestamp is not None

    @property
    def text(self) -> str:
        """Content plus all human-readable embed text, for loose ``in`` assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for f in embed.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((embed.get("footer") or {}).get("text") or "")
            parts.append((embed.get("author") or {}).get("name") or "")
        for component in self.walk_components():
            if component.get("type") in (10,):  # components v2 text display
                parts.append(component.get("content") or "")
        return "\n".join(p for p in parts if p)

    def walk_components(self) -> Iterator[dict[str, Any]]:
        """Every component, depth first (action rows, v2 containers, sections, accessories)."""
        stack = list(reversed(self.components))
        while stack:
            component = stack.pop()
            yield component
            children = list(component.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(component.get(key), dict):
                    children.append(component[key])
            stack.extend(reversed(children))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in self.walk_components() if c.get("type") == 2]

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in self.walk_components() if c.get("custom_id")]

    def component(self, custom_id: str) -> dict[str, Any]:
        for component in self.walk_components():
            if component.get("custom_id") == custom_id:
                return component
        raise KeyError(f"message {self.id} has no component {custom_id!r}; it has {self.custom_ids}")

    def button_by_label(self, label: str) -> dict[str, Any]:
        for button in self.buttons:
            if button.get("label") == label:
                return button
        labels = [b.get("label") for b in self.buttons]
        raise KeyError(f"message {self.id} has no button labelled {label!r}; it has {labels}")

    @property
    def pings(self) -> Pings:
        """Who Discord would notify for the current content, honouring ``allowed_mentions``.

        With no ``allowed_mentions`` Discord parses everything (and pings the replied-to
        author), which is usually what a bot must *not* do with user-supplied text.
        """
        users = {int(x) for x in _USER_MENTION.findall(self.content)}
        roles = {int(x) for x in _ROLE_MENTION.findall(self.content)}
        everyone = "@everyone" in self.content or "@here" in self.content
        replied = self.referenced_author_id
        am = self.allowed_mentions
        if am is None:
            if replied is not None:
                users.add(replied)
            return Pings(users, roles, everyone)
        parse = am.get("parse") or []
        if "users" not in parse:
            users &= {int(x) for x in am.get("users") or []}
        if "roles" not in parse:
            roles &= {int(x) for x in am.get("roles") or []}
        everyone = everyone and "everyone" in parse
        if replied is not None and am.get("replied_user", False):
            users.add(replied)
        return Pings(users, roles, everyone)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": self.tts,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": list(self.attachments),
            "embeds": list(self.embeds),
            "components": list(self.components),
            "reactions": [],
            "pinned": self.pinned,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.poll is not None:
            data["poll"] = self.poll
        return data

    def __repr__(self) -> str:
        flags = " ephemeral" if self.ephemeral else ""
        flags += " deleted" if self.deleted else ""
        return f"<Message {self.id} {self.source}{flags} in {self.channel_id}: {self.text[:60]!r}>"


@dataclass(eq=False)
class InteractionRecord:
    """An interaction the double dispatched and everything the bot did in reply to it."""

    id: int
    token: str
    type: int
    user: User
    guild_id: int | None
    channel_id: int
    payload: dict[str, Any]
    dispatched_at: float
    command_name: str | None = None
    custom_id: str | None = None
    # The message a component/modal interaction came from (what type 6/7 callbacks edit).
    source_message: Message | None = None
    response_type: int | None = None
    response_data: dict[str, Any] | None = None
    response_files: list[RecordedFile] = field(default_factory=list)
    responded_at: float | None = None
    message: Message | None = None  # the "@original" message, once there is one
    followups: list[Message] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    # Callbacks Discord would refuse (too late, answered twice); kept for assertions.
    rejected: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    token_expired: bool = False  # set by DiscordDouble.expire_token

    @property
    def responded(self) -> bool:
        return self.response_type is not None

    @property
    def deferred(self) -> bool:
        return self.response_type in (CALLBACK_DEFERRED_CHANNEL_MESSAGE, CALLBACK_DEFERRED_UPDATE_MESSAGE)

    @property
    def latency(self) -> float | None:
        """Seconds between dispatch and the bot's callback (Discord allows 3)."""
        return None if self.responded_at is None else self.responded_at - self.dispatched_at

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        if self.response_type != CALLBACK_AUTOCOMPLETE_RESULT:
            return None
        return list((self.response_data or {}).get("choices") or [])

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.response_data if self.response_type == CALLBACK_MODAL else None

    @property
    def content(self) -> str | None:
        """Current content of the original response message (after any edits)."""
        return None if self.message is None else self.message.content

    @property
    def text(self) -> str | None:
        return None if self.message is None else self.message.text

    @property
    def ephemeral(self) -> bool:
        return self.message is not None and self.message.ephemeral

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        """``allowed_mentions`` of the callback itself (see ``Message.history`` for edits)."""
        return (self.response_data or {}).get("allowed_mentions")

    @property
    def all_messages(self) -> list[Message]:
        return ([self.message] if self.message is not None else []) + list(self.followups)

    def __repr__(self) -> str:
        what = self.command_name or self.custom_id or "?"
        return f"<InteractionRecord {self.id} type={self.type} {what!r} response={self.response_type}>"
