"""A local Discord double for end-to-end tests: the real discord.py client, real sockets, 127.0.0.1.

Typical use::

    from tests.discord_double import DiscordDouble, User, connected_bot

    async with DiscordDouble() as double, connected_bot(make_bot, double) as bot:
        rec = await double.slash(double.guild.id, double.channel("trivia").id, User.member("ann"), "ping")
        assert rec.content == "pong"
"""

from .fixtures import FAKE_TOKEN, connected_bot, discord_double, patch_discord_urls
from .models import (
    ADMINISTRATOR,
    BOT_PERMISSIONS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MEMBER_PERMISSIONS,
    MODERATOR_PERMISSIONS,
    AttachmentUpload,
    Channel,
    Guild,
    InteractionRecord,
    Message,
    Pings,
    RecordedFile,
    RecordedRequest,
    Role,
    User,
)
from .server import DiscordDouble

__all__ = [
    "ADMINISTRATOR",
    "BOT_PERMISSIONS",
    "FAKE_TOKEN",
    "MANAGE_GUILD",
    "MANAGE_MESSAGES",
    "MEMBER_PERMISSIONS",
    "MODERATOR_PERMISSIONS",
    "AttachmentUpload",
    "Channel",
    "DiscordDouble",
    "Guild",
    "InteractionRecord",
    "Message",
    "Pings",
    "RecordedFile",
    "RecordedRequest",
    "Role",
    "User",
    "connected_bot",
    "discord_double",
    "patch_discord_urls",
]
