from pathlib import Path

import pytest

from bot.config import ConfigError, default_database_path, load_settings


def test_defaults_need_no_token():
    settings = load_settings({"HOME": "/home/someone"})
    assert settings.discord_token is None
    assert settings.log_level == "INFO"
    assert settings.message_content is False
    assert settings.dev_guild_id is None
    assert settings.packs_dir.name == "questions"


def test_default_database_path_follows_xdg():
    assert default_database_path({"XDG_DATA_HOME": "/data"}) == Path("/data/crate-digger/crate-digger.sqlite3")


def test_values_are_read():
    settings = load_settings(
        {
            "DISCORD_TOKEN": " abc ",
            "DATABASE_PATH": "/tmp/scores.sqlite3",
            "DEV_GUILD_ID": "123456789012345678",
            "LOG_LEVEL": "debug",
            "MESSAGE_CONTENT_INTENT": "yes",
        }
    )
    assert settings.discord_token == "abc"
    assert settings.database_path == Path("/tmp/scores.sqlite3")
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"
    assert settings.message_content is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEV_GUILD_ID", "my-server"), ("DEV_GUILD_ID", "12"), ("LOG_LEVEL", "loud"), ("MESSAGE_CONTENT_INTENT", "maybe")],
)
def test_a_bad_value_names_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable) as raised:
        load_settings({variable: value})
    assert repr(value) in str(raised.value)


def test_missing_token_says_what_to_do():
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_settings({}).require_token()


def test_env_file_is_read(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=WARNING\n")
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    assert load_settings(env_file=str(env_file)).log_level == "WARNING"


def test_database_url_selects_postgres_and_stays_out_of_the_repr():
    url = "postgresql://crate:hunter2@db:5432/crate"
    settings = load_settings({"DATABASE_URL": f" {url} ", "DISCORD_TOKEN": "token-secret"})
    assert settings.database_url == url
    assert "hunter2" not in repr(settings)
    assert "token-secret" not in repr(settings)


def test_database_url_is_optional():
    assert load_settings({}).database_url is None


def test_a_database_url_that_is_not_postgres_is_refused_without_its_password():
    with pytest.raises(ConfigError, match="DATABASE_URL must be a PostgreSQL URL") as raised:
        load_settings({"DATABASE_URL": "mysql://crate:hunter2@db/crate"})
    assert "hunter2" not in str(raised.value)
    assert "mysql://crate:***@db/crate" in str(raised.value)
