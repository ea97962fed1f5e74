"""Settings from the environment and `.env`; every bad value names its variable and what it expects.

`.env.example` documents each variable read here.
"""

# No `from __future__ import annotations`: NamedTuple would compile each of Settings' string annotations
# at every start (a few ms); evaluated, they cost nothing.
import ipaddress
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from bot.storage.urls import POSTGRES_SCHEMES, is_postgres_url, redact_url
from bot.trivia.limits import DEFAULT_PACK_LIMITS, PackLimits
from bot.trivia.packfiles import BUILTIN_PACKS_DIR

if TYPE_CHECKING:
    from bot.sharding import ShardScope

MAX_FACTS = DEFAULT_PACK_LIMITS.facts

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_FETCH_MAX_BYTES = 2 * 1024 * 1024  # a long article's HTML is a few hundred KB
DEFAULT_FETCH_TIMEOUT_SECONDS = 15.0
DEFAULT_MAX_PACKS_PER_SERVER = 25
DEFAULT_PACK_WORK_TIMEOUT_SECONDS = 60.0
DEFAULT_PACK_WORKERS = 1
DEFAULT_METRICS_ADDRESS = "127.0.0.1"
# Under Discord's global 50 requests/s, with room for timing jitter and anything else using the token.
DEFAULT_REST_PER_SECOND = 40


class ConfigError(Exception):
    """A setting that is missing or malformed; the message says which and what it should be.

    It never quotes the value: a token pasted into the wrong variable would otherwise be printed.
    """


def _redact(value: object) -> str | None:
    return None if value is None else "<redacted>"


# Fields whose values must never reach a log, a traceback or a terminal; each maps to how it is shown.
SECRET_FIELDS: dict[str, Callable[[object], object]] = {
    "discord_token": _redact,
    "database_url": lambda url: None if url is None else redact_url(str(url)),
}


# A NamedTuple, not a frozen dataclass: every command loads settings, and `dataclasses` (with the
# `inspect` it imports) costs a quick command such as `fact` about a fifth of its start-up.
class Settings(NamedTuple):
    discord_token: str | None
    database_path: Path
    # postgresql://... when set: scores and packs go to PostgreSQL instead of the SQLite file.
    database_url: str | None
    dev_guild_id: int | None
    log_level: str
    # The built-in packs first, then every folder PACKS_DIR adds.
    pack_folders: tuple[Path, ...]
    message_content: bool
    fetch_max_bytes: int
    fetch_timeout_seconds: float
    fetch_refuse_private_addresses: bool
    max_packs_per_server: int = DEFAULT_MAX_PACKS_PER_SERVER
    max_facts_per_pack: int = MAX_FACTS
    pack_work_timeout_seconds: float = DEFAULT_PACK_WORK_TIMEOUT_SECONDS
    pack_workers: int = DEFAULT_PACK_WORKERS
    # The size caps for packs this bot is sent or asked to check (the facts cap is max_facts_per_pack);
    # the built-in packs are always checked with the defaults.
    max_pack_bytes: int = DEFAULT_PACK_LIMITS.file_bytes
    max_article_chars: int = DEFAULT_PACK_LIMITS.source_chars
    max_yaml_nodes: int = DEFAULT_PACK_LIMITS.nodes
    max_entities_per_pack: int = DEFAULT_PACK_LIMITS.entities
    max_questions_per_pack: int = DEFAULT_PACK_LIMITS.questions
    # Neither set: one process runs every shard Discord recommends. SHARD_COUNT alone: this process runs
    # all of that many; with SHARD_IDS it runs only those (the other processes run the rest).
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    # Prometheus metrics on this port while `run` runs; None (the default) serves none.
    metrics_port: int | None = None
    metrics_address: str = DEFAULT_METRICS_ADDRESS
    # REST calls a second the whole bot allows itself (Discord's global limit is 50), shared by its processes
    # in proportion to the shards each runs.
    rest_per_second: int = DEFAULT_REST_PER_SECOND

    @property
    def process_rest_per_second(self) -> float:
        """This process's part of ``rest_per_second``: all of it, or its share of the shards."""
        if self.shard_count is None or self.shard_ids is None:
            return float(self.rest_per_second)
        return self.rest_per_second * len(self.shard_ids) / self.shard_count

    def __repr__(self) -> str:
        shown = []
        for name, value in zip(self._fields, self, strict=True):
            redact = SECRET_FIELDS.get(name)
            shown.append(f"{name}={(redact(value) if redact else value)!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    __str__ = __repr__

    @property
    def pack_limits(self) -> PackLimits:
        return PackLimits(
            file_bytes=self.max_pack_bytes,
            source_chars=self.max_article_chars,
            nodes=self.max_yaml_nodes,
            entities=self.max_entities_per_pack,
            facts=self.max_facts_per_pack,
            questions=self.max_questions_per_pack,
        )

    @property
    def shard_scope(self) -> "ShardScope":
        from bot.sharding import ShardScope

        return ShardScope(self.shard_count, self.shard_ids)

    @property
    def pack_cache_dir(self) -> Path:
        """Where compiled packs are cached (see ``bot.packcache``): beside the database, as trusted as it."""
        return self.database_path.parent / "pack-cache"

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
        # Checked first so that a start without a .env never imports python-dotenv (a few ms the CLI feels).
        if env_file and os.path.isfile(env_file):
            from dotenv import load_dotenv

            load_dotenv(env_file, override=False)
        environ = os.environ
    shard_count, shard_ids = _shards(environ)
    return Settings(
        discord_token=(environ.get("DISCORD_TOKEN") or "").strip() or None,
        database_path=_path(environ, "DATABASE_PATH") or default_database_path(environ),
        database_url=_database_url(environ, "DATABASE_URL"),
        dev_guild_id=_snowflake(environ, "DEV_GUILD_ID"),
        log_level=_choice(environ, "LOG_LEVEL", LOG_LEVELS, "INFO"),
        pack_folders=_pack_folders(environ, "PACKS_DIR"),
        message_content=_flag(environ, "MESSAGE_CONTENT_INTENT", default=False),
        fetch_max_bytes=_positive_int(environ, "FETCH_MAX_BYTES", DEFAULT_FETCH_MAX_BYTES),
        fetch_timeout_seconds=_positive_number(environ, "FETCH_TIMEOUT_SECONDS", DEFAULT_FETCH_TIMEOUT_SECONDS),
        fetch_refuse_private_addresses=_flag(environ, "FETCH_REFUSE_PRIVATE_ADDRESSES", default=True),
        max_packs_per_server=_positive_int(environ, "MAX_PACKS_PER_SERVER", DEFAULT_MAX_PACKS_PER_SERVER),
        max_facts_per_pack=_positive_int(environ, "MAX_FACTS_PER_PACK", MAX_FACTS),
        max_pack_bytes=_positive_int(environ, "MAX_PACK_BYTES", DEFAULT_PACK_LIMITS.file_bytes),
        max_article_chars=_positive_int(environ, "MAX_ARTICLE_CHARS", DEFAULT_PACK_LIMITS.source_chars),
        max_yaml_nodes=_positive_int(environ, "MAX_YAML_NODES", DEFAULT_PACK_LIMITS.nodes),
        max_entities_per_pack=_positive_int(environ, "MAX_ENTITIES_PER_PACK", DEFAULT_PACK_LIMITS.entities),
        max_questions_per_pack=_positive_int(environ, "MAX_QUESTIONS_PER_PACK", DEFAULT_PACK_LIMITS.questions),
        pack_work_timeout_seconds=_positive_number(
            environ, "PACK_WORK_TIMEOUT_SECONDS", DEFAULT_PACK_WORK_TIMEOUT_SECONDS
        ),
        pack_workers=_bounded_int(environ, "PACK_WORKERS", DEFAULT_PACK_WORKERS, 0, 32),
        shard_count=shard_count,
        shard_ids=shard_ids,
        metrics_port=_port(environ, "METRICS_PORT"),
        metrics_address=_ip_address(environ, "METRICS_ADDRESS", DEFAULT_METRICS_ADDRESS),
        rest_per_second=_bounded_int(environ, "REST_PER_SECOND", DEFAULT_REST_PER_SECOND, 1, 50),
    )


def _shards(environ: Mapping[str, str]) -> tuple[int | None, tuple[int, ...] | None]:
    count_text = (environ.get("SHARD_COUNT") or "").strip()
    ids_text = (environ.get("SHARD_IDS") or "").strip()
    if not count_text:
        if ids_text:
            raise ConfigError(
                "SHARD_IDS needs SHARD_COUNT: set SHARD_COUNT to the total number of shards across all "
                "processes (or unset both to run every shard Discord recommends in this one process)"
            )
        return None, None
    from bot.sharding import MAX_SHARDS, ShardIdsError, parse_shard_ids  # only when sharding is asked for

    count = _bounded_int(environ, "SHARD_COUNT", 1, 1, MAX_SHARDS)
    if not ids_text:
        return count, None
    try:
        ids = parse_shard_ids(ids_text)
    except ShardIdsError as error:
        raise ConfigError(
            f"SHARD_IDS lists the shards this process runs, such as 0,1 or 0-3 or 0-3,8; {error}"
        ) from None
    outside = [shard for shard in ids if shard >= count]
    if outside:
        raise ConfigError(
            f"SHARD_IDS names shard {outside[0]}, but with SHARD_COUNT={count} the shards are 0 to {count - 1}"
        )
    return count, ids


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = (environ.get(name) or "").strip()
    return Path(value).expanduser() if value else None


def _database_url(environ: Mapping[str, str], name: str) -> str | None:
    value = (environ.get(name) or "").strip()
    if not value:
        return None
    if not is_postgres_url(value):
        schemes = " or ".join(f"{scheme}://" for scheme in POSTGRES_SCHEMES)
        # Never the value itself (see ConfigError): at most the scheme it starts with.
        scheme, separator, _ = value.partition("://")
        found = f"a {scheme}:// URL" if separator and scheme.isalnum() else "something that is not a URL"
        raise ConfigError(
            f"{name} must be a PostgreSQL URL starting with {schemes} (leave it empty to use the SQLite file "
            f"DATABASE_PATH); it is {found}"
        )
    return value


def _pack_folders(environ: Mapping[str, str], name: str) -> tuple[Path, ...]:
    """The built-in packs plus the folders (or single pack files) listed, separated by os.pathsep."""
    folders = [BUILTIN_PACKS_DIR]
    entries = (environ.get(name) or "").split(os.pathsep)
    for number, entry in enumerate(entries, start=1):
        entry = entry.strip()
        if not entry:
            continue
        try:
            path = Path(entry).expanduser()  # .env is not read by a shell, so ~ is expanded here
        except RuntimeError:  # ~name of a user that does not exist
            path = Path(entry)
        if not path.exists():
            # The value is not echoed (a token pasted into the wrong variable must not be printed back).
            raise ConfigError(
                f"{name} lists folders of packs separated by {os.pathsep!r}; entry {number} of {len(entries)} "
                f"({_size(entry)}) does not exist"
            )
        # The same folder named twice (or the built-in one named again) would report every pack as a duplicate.
        if all(path.resolve() != known.resolve() for known in folders):
            folders.append(path)
    return tuple(folders)


def _snowflake(environ: Mapping[str, str], name: str) -> int | None:
    value = (environ.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 15 <= len(value) <= 20:
        raise ConfigError(
            f"{name} must be a Discord server id (a number of 15 to 20 digits); the value set ({_size(value)}) is not"
        )
    return int(value)


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) <= 0:
        raise ConfigError(f"{name} must be a whole number above 0; the value set ({_size(value)}) is not")
    return int(value)


def _bounded_int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}; the value set ({_size(value)}) is not")
    return int(value)


def _port(environ: Mapping[str, str], name: str) -> int | None:
    """A TCP port, or None when unset."""
    if not (environ.get(name) or "").strip():
        return None
    return _bounded_int(environ, name, 0, 1, 65535)


def _ip_address(environ: Mapping[str, str], name: str, default: str) -> str:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ConfigError(
            f"{name} must be an IP address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 "
            f"(every interface, as in a container); the value set ({_size(value)}) is not"
        ) from None


def _positive_number(environ: Mapping[str, str], name: str, default: float) -> float:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"{name} must be a number of seconds above 0; the value set ({_size(value)}) is not")
    return number


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    if value.upper() not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; the value set ({_size(value)}) is none of them")
    return value.upper()


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = (environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (or 1/0, yes/no, on/off); the value set ({_size(value)}) is not")


def _size(value: str) -> str:
    """Describe a bad value without quoting it: it may be a secret pasted into the wrong variable."""
    return f"{len(value)} character{'s' if len(value) != 1 else ''}"


def log_level_number(settings: Settings) -> int:
    import logging  # here: settings load on every CLI start, and most commands never log

    return logging.getLevelName(settings.log_level)
