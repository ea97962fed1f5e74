"""Settings from the environment and `.env`; every bad value names its variable and what it expects.

`.env.example` documents each variable read here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.storage.urls import POSTGRES_SCHEMES, is_postgres_url, redact_url
from bot.trivia.packs import BUILTIN_PACKS_DIR

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting that is missing or malformed; the message says which and what it should be."""


@dataclass(frozen=True)
class Settings:
    # Secrets stay out of the repr, so logging or printing the settings cannot leak them.
    discord_token: str | None = field(repr=False)
    database_path: Path
    # postgresql://... when set: scores and packs go to PostgreSQL instead of the SQLite file.
    database_url: str | None = field(repr=False)
    dev_guild_id: int | None
    log_level: str
    packs_dir: Path
    message_content: bool

    def require_token(self) -> str:
        if not self.discord_token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot token in .env (see .env.example) or the environment"
            )
        return self.discord_token


def default_database_path(environ: Mapping[str, str]) -> Path:
    """The user's data folder (XDG), so scores outlive the working directory a game was started in."""
    data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "crate-digger" / "crate-digger.sqlite3"


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> Settings:
    if environ is None:
        if env_file:
            from dotenv import load_dotenv

            load_dotenv(env_file, override=False)
        environ = os.environ
    return Settings(
        discord_token=(environ.get("DISCORD_TOKEN") or "").strip() or None,
        database_path=_path(environ, "DATABASE_PATH") or default_database_path(environ),
        database_url=_database_url(environ, "DATABASE_URL"),
        dev_guild_id=_snowflake(environ, "DEV_GUILD_ID"),
        log_level=_choice(environ, "LOG_LEVEL", LOG_LEVELS, "INFO"),
        packs_dir=_path(environ, "PACKS_DIR") or BUILTIN_PACKS_DIR,
        message_content=_flag(environ, "MESSAGE_CONTENT_INTENT", default=False),
    )


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = (environ.get(name) or "").strip()
    return Path(value).expanduser() if value else None


def _database_url(environ: Mapping[str, str], name: str) -> str | None:
    value = (environ.get(name) or "").strip()
    if not value:
        return None
    if not is_postgres_url(value):
        schemes = " or ".join(f"{scheme}://" for scheme in POSTGRES_SCHEMES)
        raise ConfigError(
            f"{name} must be a PostgreSQL URL starting with {schemes} (leave it empty to use the SQLite file "
            f"DATABASE_PATH), got {redact_url(value)!r}"
        )
    return value


def _snowflake(environ: Mapping[str, str], name: str) -> int | None:
    value = (environ.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 15 <= len(value) <= 20:
        raise ConfigError(f"{name} must be a Discord server id (a number of 15 to 20 digits), got {value!r}")
    return int(value)


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    if value.upper() not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value.upper()


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = (environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def log_level_number(settings: Settings) -> int:
    return logging.getLevelName(settings.log_level)
