import pytest

from bot.storage.urls import is_postgres_url, redact_url, url_password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://crate:hunter2@db:5432/crate", "postgresql://crate:***@db:5432/crate"),
        ("postgres://crate:p%40ss@db/crate", "postgres://crate:***@db/crate"),
        ("postgresql://crate@db/crate", "postgresql://crate@db/crate"),
        ("postgresql:///crate?host=/run/postgresql", "postgresql:///crate?host=/run/postgresql"),
        ("postgresql://db/crate?user=crate&password=hunter2", "postgresql://db/crate?user=crate&password=***"),
        ("postgresql://a:b:c@h1:5432,h2:5433/crate", "postgresql://a:***@h1:5432,h2:5433/crate"),
    ],
)
def test_redact_url_hides_every_password(url, shown):
    assert redact_url(url) == shown


def test_an_unparseable_url_shows_no_more_than_its_scheme():
    assert redact_url("postgresql://crate:hunter2@[::1") == "postgresql://***"


def test_url_password_finds_it_wherever_it_is():
    assert url_password("postgresql://crate:hunter2@db/crate") == "hunter2"
    assert url_password("postgresql://db/crate?password=hunter2") == "hunter2"
    assert url_password("postgresql://crate@db/crate") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://db/crate", True),
        ("POSTGRES://db/crate", True),
        ("sqlite:///tmp/x.db", False),
        ("/var/lib/crate.db", False),
        ("mysql://db/crate", False),
    ],
)
def test_is_postgres_url(url, expected):
    assert is_postgres_url(url) is expected
