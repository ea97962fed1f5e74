import os
from pathlib import Path

import pytest

from bot.config import ConfigError, default_database_path, load_settings
from bot.trivia.limits import DEFAULT_PACK_LIMITS, PackLimits
from bot.trivia.packs import BUILTIN_PACKS_DIR


def test_defaults_need_no_token():
    settings = load_settings({"HOME": "/home/someone"})
    assert settings.discord_token is None
    assert settings.log_level == "INFO"
    assert settings.message_content is False
    assert settings.dev_guild_id is None
    assert settings.pack_folders == (BUILTIN_PACKS_DIR,)


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
    ("variable", "value", "expected"),
    [
        ("DEV_GUILD_ID", "my-server", "a number of 15 to 20 digits"),
        ("DEV_GUILD_ID", "12", "a number of 15 to 20 digits"),
        ("LOG_LEVEL", "loud", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("MESSAGE_CONTENT_INTENT", "maybe", "true or false"),
        ("FETCH_MAX_BYTES", "2MB", "a whole number above 0"),
        ("FETCH_MAX_BYTES", "0", "a whole number above 0"),
        ("FETCH_TIMEOUT_SECONDS", "soon", "a number of seconds above 0"),
        ("FETCH_TIMEOUT_SECONDS", "-1", "a number of seconds above 0"),
        ("FETCH_TIMEOUT_SECONDS", "nan", "a number of seconds above 0"),
        ("FETCH_REFUSE_PRIVATE_ADDRESSES", "sometimes", "true or false"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_expects(variable, value, expected):
    with pytest.raises(ConfigError, match=variable) as raised:
        load_settings({variable: value})
    assert expected in str(raised.value)


# A token pasted into the wrong variable: the error must say what is wrong without printing it.
PASTED_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.pasted-secret-token-part"


@pytest.mark.reliability
@pytest.mark.parametrize(
    "variable",
    [
        "DEV_GUILD_ID",
        "LOG_LEVEL",
        "MESSAGE_CONTENT_INTENT",
        "FETCH_MAX_BYTES",
        "FETCH_TIMEOUT_SECONDS",
        "FETCH_REFUSE_PRIVATE_ADDRESSES",
    ],
)
def test_a_setting_error_never_echoes_the_value(variable):
    with pytest.raises(ConfigError, match=variable) as raised:
        load_settings({variable: PASTED_TOKEN})
    message = str(raised.value)
    assert "pasted-secret" not in message and "MTIzNDU2" not in message
    assert f"{len(PASTED_TOKEN)} characters" in message  # enough to spot a paste, nothing to leak


@pytest.mark.reliability
def test_settings_repr_and_str_redact_the_token():
    settings = load_settings({"DISCORD_TOKEN": PASTED_TOKEN, "LOG_LEVEL": "debug"})
    for shown in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        assert "pasted-secret" not in shown and "MTIzNDU2" not in shown
        assert "discord_token='<redacted>'" in shown
        assert "log_level='DEBUG'" in shown  # everything else stays readable for debugging
    assert settings.discord_token == PASTED_TOKEN  # redaction is for display only
    assert "discord_token=None" in repr(load_settings({}))  # "not set" stays distinguishable


def test_fetch_settings():
    defaults = load_settings({})
    assert (defaults.fetch_max_bytes, defaults.fetch_timeout_seconds) == (2 * 1024 * 1024, 15.0)
    assert defaults.fetch_refuse_private_addresses is True
    chosen = load_settings(
        {"FETCH_MAX_BYTES": "50000", "FETCH_TIMEOUT_SECONDS": "2.5", "FETCH_REFUSE_PRIVATE_ADDRESSES": "false"}
    )
    assert (chosen.fetch_max_bytes, chosen.fetch_timeout_seconds) == (50000, 2.5)
    assert chosen.fetch_refuse_private_addresses is False


def test_missing_token_says_what_to_do():
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_settings({}).require_token()


def test_env_file_is_read(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=WARNING\n")
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    assert load_settings(env_file=str(env_file)).log_level == "WARNING"


def test_database_url_selects_postgres_and_its_password_stays_out_of_the_repr():
    url = "postgresql://crate:hunter2@db:5432/crate"
    settings = load_settings({"DATABASE_URL": f" {url} "})
    assert settings.database_url == url
    for shown in (repr(settings), str(settings)):
        assert "hunter2" not in shown
        assert "database_url='postgresql://crate:***@db:5432/crate'" in shown


def test_database_url_is_optional():
    assert load_settings({}).database_url is None


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("mysql://crate:hunter2@db/crate", "it is a mysql:// URL"),
        ("hunter2-token", "it is something that is not a URL"),
    ],
)
def test_a_database_url_that_is_not_postgres_is_refused_without_quoting_it(value, described):
    with pytest.raises(ConfigError, match="DATABASE_URL must be a PostgreSQL URL") as raised:
        load_settings({"DATABASE_URL": value})
    assert "hunter2" not in str(raised.value)
    assert str(raised.value).endswith(described)


def test_pack_work_settings():
    defaults = load_settings({})
    assert (defaults.max_packs_per_server, defaults.max_facts_per_pack) == (25, 2000)
    assert (defaults.pack_work_timeout_seconds, defaults.pack_workers) == (60.0, 1)
    chosen = load_settings(
        {
            "MAX_PACKS_PER_SERVER": "5",
            "MAX_FACTS_PER_PACK": "300",
            "PACK_WORK_TIMEOUT_SECONDS": "9",
            "PACK_WORKERS": "0",
        }
    )
    assert (chosen.max_packs_per_server, chosen.max_facts_per_pack) == (5, 300)
    assert (chosen.pack_work_timeout_seconds, chosen.pack_workers) == (9.0, 0)
    for variable, value in (("MAX_FACTS_PER_PACK", "0"), ("PACK_WORKERS", "lots")):
        with pytest.raises(ConfigError, match=variable):
            load_settings({variable: value})


def test_packs_dir_adds_folders_after_the_built_in_ones(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    value = os.pathsep.join([str(one), "", f" {two} ", str(one), str(BUILTIN_PACKS_DIR)])
    settings = load_settings({"PACKS_DIR": value}, env_file=None)
    assert settings.pack_folders == (BUILTIN_PACKS_DIR, one, two)


def test_packs_dir_that_does_not_exist_names_the_variable(tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(ConfigError, match=r"^PACKS_DIR lists .* entry 2 of 2 \(\d+ characters\) does not exist"):
        load_settings({"PACKS_DIR": os.pathsep.join([str(tmp_path), missing])}, env_file=None)


def test_packs_dir_with_an_unknown_users_home_is_a_setting_error_not_a_crash():
    with pytest.raises(ConfigError, match=r"^PACKS_DIR lists .* entry 1 of 1 .* does not exist"):
        load_settings({"PACKS_DIR": "~no-such-user-crate-digger/packs"}, env_file=None)


def test_pack_size_caps_default_to_the_pack_format_and_can_be_set():
    assert load_settings({}).pack_limits == DEFAULT_PACK_LIMITS
    chosen = load_settings(
        {
            "MAX_PACK_BYTES": "1048576",
            "MAX_ARTICLE_CHARS": "400000",
            "MAX_YAML_NODES": "90000",
            "MAX_ENTITIES_PER_PACK": "40",
            "MAX_FACTS_PER_PACK": "5000",  # above the default: a cap, no longer a ceiling under it
            "MAX_QUESTIONS_PER_PACK": "30",
        }
    )
    assert chosen.pack_limits == PackLimits(
        file_bytes=1_048_576, source_chars=400_000, nodes=90_000, entities=40, facts=5_000, questions=30
    )


@pytest.mark.parametrize(
    "variable",
    ["MAX_PACK_BYTES", "MAX_ARTICLE_CHARS", "MAX_YAML_NODES", "MAX_ENTITIES_PER_PACK", "MAX_QUESTIONS_PER_PACK"],
)
@pytest.mark.parametrize("value", ["0", "-3", "lots", "1e6"])
def test_a_bad_pack_size_cap_is_one_line_that_does_not_echo_the_value(variable, value):
    with pytest.raises(ConfigError) as raised:
        load_settings({variable: value})
    message = str(raised.value)
    assert message.startswith(f"{variable} must be a whole number above 0") and "\n" not in message
    plural = "s" if len(value) != 1 else ""
    assert message.endswith(f"the value set ({len(value)} character{plural}) is not")  # described, never quoted


def test_without_shard_settings_one_process_runs_every_shard():
    settings = load_settings({})
    assert (settings.shard_count, settings.shard_ids) == (None, None)
    assert settings.shard_scope.runs_every_shard


def test_shard_settings_are_read():
    settings = load_settings({"SHARD_COUNT": "4", "SHARD_IDS": "2-3"})
    assert settings.shard_count == 4
    assert settings.shard_ids == (2, 3)
    assert settings.shard_scope.owns((1 << 22) * 3)
    assert not settings.shard_scope.owns((1 << 22) * 4)
    assert load_settings({"SHARD_COUNT": "2"}).shard_ids is None


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SHARD_IDS": "0"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be a whole number from 1 to"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT must be a whole number from 1 to"),
        (
            {"SHARD_COUNT": "2", "SHARD_IDS": "2"},
            "SHARD_IDS names shard 2, but with SHARD_COUNT=2 the shards are 0 to 1",
        ),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0-9"}, "SHARD_IDS names shard 4"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0;1"}, "SHARD_IDS lists the shards this process runs, such as 0,1"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1-0"}, "ends (0) before it starts (1)"),
    ],
)
def test_bad_shard_settings_say_what_is_wrong(environ, expected):
    with pytest.raises(ConfigError) as raised:
        load_settings(environ)
    assert expected in str(raised.value)


def test_the_rest_budget_is_shared_by_the_processes_in_proportion_to_their_shards():
    assert load_settings({}).process_rest_per_second == 40
    assert load_settings({"REST_PER_SECOND": "30"}).process_rest_per_second == 30
    assert load_settings({"SHARD_COUNT": "4"}).process_rest_per_second == 40  # one process runs them all
    one_of_four = load_settings({"REST_PER_SECOND": "48", "SHARD_COUNT": "4", "SHARD_IDS": "1"})
    assert one_of_four.process_rest_per_second == 12


@pytest.mark.parametrize("value", ["0", "51", "fast", "-5"])
def test_a_rest_budget_beyond_discords_limit_is_refused_by_name(value):
    with pytest.raises(ConfigError, match="REST_PER_SECOND must be a whole number from 1 to 50"):
        load_settings({"REST_PER_SECOND": value})
