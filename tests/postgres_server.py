"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary folder, a free local port.

One server runs per test session (see the ``postgres_server`` fixture in ``tests/conftest.py``).
PostgreSQL refuses to run as root, so when the tests run as root the server runs as the ``postgres``
user that Debian's package creates (or ``nobody``), and its folder is handed to that user.

The server listens on 127.0.0.1 only, with a password (scram-sha-256) so that the tests go through the
same URL handling a real deployment does, and with ``fsync=off``: a test server's data need not
survive a power cut, and that keeps commits fast. Nothing here changes what a commit means to a client.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "crate"
SHARED_DATABASE = "postgres"
START_TIMEOUT_S = 30
# Tables the schema keeps between tests: the record of applied migrations.
_KEPT_TABLES = ("schema_migrations",)


class PostgresUnavailable(Exception):
    """No PostgreSQL server could be started here; the message says why and what to install."""


def find_bin_dir() -> Path:
    """The newest Debian PostgreSQL installation, else whatever ``pg_ctl`` is on the PATH."""
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.parent.name))

    if candidates:
        return Path(max(candidates, key=version)).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    raise PostgresUnavailable(
        "the PostgreSQL server binaries (initdb, pg_ctl) are not installed; "
        "install them with `apt-get install postgresql` to run the PostgreSQL tests"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_account() -> pwd.struct_passwd | None:
    """Who runs the server: ourselves, unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable("running as root and there is no 'postgres' or 'nobody' user to run PostgreSQL as")


@dataclass
class PostgresServer:
    bin_dir: Path
    folder: Path
    port: int
    password: str
    account: pwd.struct_passwd | None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = SHARED_DATABASE) -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def start(cls, *, durable: bool = False) -> PostgresServer:
        """Start a server; ``durable`` keeps fsync on, as a real one runs (for benchmarks, not tests)."""
        bin_dir = find_bin_dir()
        account = _server_account()
        folder = Path(tempfile.mkdtemp(prefix="crate-digger-pg-"))
        server = cls(bin_dir, folder, port=0, password=secrets.token_urlsafe(16), account=account)
        try:
            server._init_cluster()
            server._start_on_a_free_port(durable)
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            # immediate: nothing here needs a clean shutdown checkpoint, and it takes no time.
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _init_cluster(self) -> None:
        password_file = self.folder / "password"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        if self.account is not None:
            for path in (self.folder, password_file):
                os.chown(path, self.account.pw_uid, self.account.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def _start_on_a_free_port(self, durable: bool) -> None:
        # The port is free when picked but could be taken before the server binds it: try again.
        for attempt in range(3):
            self.port = _free_port()
            settings = [
                f"-p {self.port}",
                f"-k {self.folder}",
                "-c listen_addresses=127.0.0.1",
                "-c max_connections=200",
            ]
            if not durable:
                settings += ["-c fsync=off", "-c full_page_writes=off"]
            options = " ".join(settings)
            started = self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
                "start",
                check=False,
            )
            if started.returncode == 0:
                return
            if attempt == 2 or "could not bind" not in self._log_tail():
                raise PostgresUnavailable(f"pg_ctl start failed: {started.stdout.strip()} {self._log_tail()}")
            time.sleep(0.2)

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        account = self.account
        # stdout to a file rather than a pipe: the server that pg_ctl starts must not hold our pipe open.
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as output:
            completed = subprocess.run(
                [str(self.bin_dir / program), *args],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
                user=account.pw_uid if account else None,
                group=account.pw_gid if account else None,
                extra_groups=[] if account else None,
                timeout=START_TIMEOUT_S + 10,
                check=False,
            )
            output.seek(0)
            text = output.read()
        if check and completed.returncode != 0:
            raise PostgresUnavailable(f"{program} failed (exit {completed.returncode}): {text.strip()[-2000:]}")
        return subprocess.CompletedProcess(completed.args, completed.returncode, text, "")

    # -- databases -----------------------------------------------------------------------------

    async def create_database(self) -> str:
        """A new, empty database; its URL. For tests that need a database nobody has migrated yet."""
        import asyncpg

        name = f"test_{secrets.token_hex(6)}"
        admin = await asyncpg.connect(self.url())
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return self.url(name)

    async def empty_shared_database(self) -> str:
        """The shared database's URL, with every table emptied but the schema kept.

        Truncating is far cheaper than a database per test, and it keeps working as migrations add
        tables, since it empties whatever tables the schema has.
        """
        import asyncpg

        url = self.url()
        conn = await asyncpg.connect(url)
        try:
            tables = await conn.fetch(
                "SELECT quote_ident(tablename) AS name FROM pg_tables"
                " WHERE schemaname = 'public' AND NOT (tablename = ANY($1::text[]))",
                list(_KEPT_TABLES),
            )
            if tables:
                names = ", ".join(row["name"] for row in tables)
                await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        finally:
            await conn.close()
        return url
