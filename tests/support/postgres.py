"""PostgreSQL 15 as a real server for tests: Debian's binaries, a temporary data directory,
a loopback port, and a fresh database per test.

misc/scripts/test.sh installs Debian's `postgresql-15` when /usr/lib/postgresql/15/bin is
missing. PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
user (Debian's package makes it) in a directory that user owns. The server trusts loopback
connections (initdb --auth=trust): it listens on 127.0.0.1 only, for the tests' life.
"""

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kafka_demo.local_mode.broker.ports import free_port

BIN = Path(os.environ.get("KAFKA_DEMO_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_USER = "postgres"
"""Who runs the server when the tests run as root (PostgreSQL will not run as root)."""
START_TIMEOUT_S = 60
_numbers = itertools.count(1)


class PostgresUnavailable(RuntimeError):
    """Debian's PostgreSQL binaries are missing: the one line says where they were looked for."""


@dataclass
class PostgresServer:
    """A running server; `new_database()` makes an empty database and returns its URL."""

    port: int
    data: Path
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        name = f"kafka_demo_{os.getpid()}_{next(_numbers)}"
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; its output, unaligned and without headers."""
        return subprocess.run(
            [
                str(BIN / "psql"),
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-c",
                statement,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()


def _as_server_user(command: list[str]) -> list[str]:
    """The command as SERVER_USER when this process is root, else as is."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_USER, "--", *command]


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """initdb, pg_ctl start on a free loopback port; stopped and removed on exit."""
    if not (BIN / "initdb").is_file():
        raise PostgresUnavailable(
            f"no PostgreSQL binaries at {BIN}: install Debian's postgresql-15"
            " (misc/scripts/test.sh does, as root)"
        )
    root = Path(tempfile.mkdtemp(prefix="kafka-demo-pg-"))
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        user = SERVER_USER
        entry = pwd.getpwnam(SERVER_USER)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, port = root / "data", free_port()
    log = root / "server.log"
    try:
        subprocess.run(
            _as_server_user(
                [str(BIN / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"]
            ),
            capture_output=True,
            check=True,
            timeout=START_TIMEOUT_S,
            cwd=root,  # a folder the server's user may enter, wherever the tests run from
        )
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200"
        subprocess.run(
            _as_server_user(
                [str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w"]
                + ["-t", str(START_TIMEOUT_S), "start"]
            ),
            capture_output=True,
            check=True,
            timeout=START_TIMEOUT_S + 5,
            cwd=root,
        )
        yield PostgresServer(port, data, user)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
                check=False,
                timeout=START_TIMEOUT_S,
                cwd=root,
            )
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def storage_outage(server: PostgresServer, database: str) -> Iterator[None]:
    """While inside, PostgreSQL itself refuses every insert into the product table (a trigger)."""
    server.sql(
        "CREATE FUNCTION refuse_products() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'storage is down'; END $$;"
        " CREATE TRIGGER outage BEFORE INSERT ON product"
        " FOR EACH ROW EXECUTE FUNCTION refuse_products()",
        database,
    )
    try:
        yield
    finally:
        server.sql("DROP TRIGGER outage ON product; DROP FUNCTION refuse_products()", database)


def database_of(url: str) -> str:
    """The database name in a URL that PostgresServer.new_database gave."""
    return url.rsplit("/", 1)[-1]
