"""Fixtures for every test, and the session's PostgreSQL server.

Without PostgreSQL's server binaries the PostgreSQL tests are skipped, and the end of the run says so
in a section of its own. Under CI (``CI=true``, which CI services set) or with
``CRATE_DIGGER_REQUIRE_POSTGRES=1`` that skip is a failure, so CI can never pass without having tested the
PostgreSQL store, while `.ci/run` still runs exactly the README's test command.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres_server import PostgresServer, PostgresUnavailable

REQUIRE_POSTGRES = "CRATE_DIGGER_REQUIRE_POSTGRES"
_postgres_unavailable: list[str] = []


def _postgres_required() -> bool:
    return os.environ.get(REQUIRE_POSTGRES) == "1" or os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def private_data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default data folder (database, pack cache) is a fresh temporary one, never the user's own;
    and a DATABASE_URL in the developer's environment never points a test at their database."""
    folder: Path = tmp_path_factory.mktemp("data-home")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as error:
        reason = f"PostgreSQL tests not run: {error}"
        _postgres_unavailable.append(reason)
        if _postgres_required():
            pytest.fail(f"{reason} (CI=true or {REQUIRE_POSTGRES}=1 requires them)", pytrace=False)
        pytest.skip(reason)
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_unavailable:
        terminalreporter.section("PostgreSQL store NOT tested", sep="!", red=True, bold=True)
        terminalreporter.line(_postgres_unavailable[0])
