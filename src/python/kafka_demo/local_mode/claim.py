"""One database, one running production: a process that writes the local mode's database claims it.

The claim is a file beside the SQLite database (`kafka_demo.db.claim`), locked
with an OS lock (flock) for as long as the process runs and holding, as JSON,
who holds it: its PID, the command, its HTTP port and broker, and a token that
the running instance's Resend action asks for. The kernel releases the lock
when the process dies, even by SIGKILL, so a claim is never stuck; the JSON a
dead holder left is then taken over, and the log says so. A clean release
empties the file. For a database that is no file and no PostgreSQL server (an
in-memory SQLite, another server's URL), the claim file lives in the temporary
folder, named after the URL: it guards the database against a second instance
on this machine only. On PostgreSQL several productions may run together, and
none claims it (kafka_demo.local_mode.instances).
"""

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from kafka_demo.local_mode.database import sqlite_path

CLAIM_SUFFIX = ".claim"
HOLDER_WRITE_WAIT_S = 1.0
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    """Who holds a database's claim, as its claim file says."""

    pid: int
    command: str
    database: str
    port: int | None = None
    broker: str | None = None
    token: str = ""
    since: str = ""

    @property
    def url(self) -> str | None:
        """The running instance's HTTP server, where a replay goes through."""
        return None if self.port is None else f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        where = f", http://127.0.0.1:{self.port}" if self.port is not None else ""
        return f"kafka-demo {self.command} (pid {self.pid}{where})"


class DatabaseInUse(Exception):
    """Another process holds the database's claim."""

    def __init__(self, database: str, holder: Holder | None) -> None:
        who = holder.describe() if holder is not None else "another process"
        super().__init__(f"the database {database} is in use by {who}")
        self.database = database
        self.holder = holder


def claim_path(db_url: str) -> Path:
    """Where the claim of the database at `db_url` is kept."""
    url = make_url(db_url)
    database = sqlite_path(url)
    if database is not None:
        return database.with_name(database.name + CLAIM_SUFFIX)
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"kafka-demo-{digest}{CLAIM_SUFFIX}"


def database_name(db_url: str) -> str:
    """The database as the user named it: the SQLite file, else the URL without its password."""
    url = make_url(db_url)
    database = sqlite_path(url)
    return str(database) if database is not None else url.render_as_string(hide_password=True)


class DatabaseClaim:
    """The claim this process holds on a database; `release()` (or the process's end) frees it."""

    def __init__(self, path: Path, descriptor: int, holder: Holder) -> None:
        self.path = path
        self._descriptor: int | None = descriptor
        self.holder = holder

    @classmethod
    def acquire(
        cls, db_url: str, command: str, *, port: int | None = None, broker: str | None = None
    ) -> "DatabaseClaim":
        """Claim the database for this process, or raise DatabaseInUse naming its holder."""
        path = claim_path(db_url)
        database = database_name(db_url)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder_of_a_locked_claim(descriptor)
            os.close(descriptor)
            raise DatabaseInUse(database, holder) from None
        except BaseException:
            os.close(descriptor)
            raise
        left = _read_holder(descriptor)
        if left is not None:
            _log.warning(
                "took over the claim on %s left by %s, which is no longer running",
                database,
                left.describe(),
            )
        holder = Holder(
            pid=os.getpid(),
            command=command,
            database=database,
            port=port,
            broker=broker,
            token=secrets.token_urlsafe(24),
            since=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        _write_holder(descriptor, holder)
        return cls(path, descriptor, holder)

    def release(self) -> None:
        """Empty the claim file and unlock it (the file stays: removing a locked file races)."""
        if self._descriptor is None:
            return
        descriptor, self._descriptor = self._descriptor, None
        try:
            if os.getpid() == self.holder.pid:
                os.ftruncate(descriptor, 0)
        finally:
            os.close(descriptor)

    def __enter__(self) -> "DatabaseClaim":
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def _holder_of_a_locked_claim(descriptor: int) -> Holder | None:
    """The holder's JSON, waiting a moment for one that has just locked the file to write it."""
    deadline = time.monotonic() + HOLDER_WRITE_WAIT_S
    while (holder := _read_holder(descriptor)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return holder


def _read_holder(descriptor: int) -> Holder | None:
    os.lseek(descriptor, 0, os.SEEK_SET)
    text = b""
    while chunk := os.read(descriptor, 65536):
        text += chunk
    with contextlib.suppress(ValueError, TypeError):
        return Holder(**json.loads(text))
    return None


def _write_holder(descriptor: int, holder: Holder) -> None:
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, json.dumps(asdict(holder)).encode(), 0)
    os.fsync(descriptor)
