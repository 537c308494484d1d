"""The local mode's databases: how they are opened, where the trace is kept, how tables are made.

Durability is IRIS's by default. IRIS does not make a commit wait for the disk:
its `[Miscellaneous] SynchCommit` setting defaults to 0, and "When 0 (false)
TCOMMIT does not wait for the write operation to complete" (InterSystems' CPF
reference, RCPF_SYNCHCOMMIT); the journal reaches the disk on its own cycle.
SQLite's equivalent is WAL with `synchronous=NORMAL`: a committed transaction
survives a crash of the process, and may be lost on a power cut, as IRIS's last
journal buffer may. `full` (`synchronous=FULL`) makes every commit wait for the
disk, as `SynchCommit=1` would.

The trace is a file of its own (products.db -> products.trace.db), with its own
lock and its own WAL, as IRIS keeps message headers and bodies in globals of
their own: storing a product never waits for the Message Viewer's data.
"""

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import Pool

from kafka_demo.local_mode.config import DEFAULT_DURABILITY, Durability

_SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}
BUSY_TIMEOUT_MS = 5000

_durability_of_file: dict[str, Durability] = {}
"""The durability set for each SQLite file the local mode opened in this process."""
_hook_lock = threading.Lock()
_hook_installed = False


def open_database(db_url: str, durability: Durability = DEFAULT_DURABILITY) -> Engine:
    """An engine on the local mode's database: SQLite in WAL mode (so the CLI reads while the
    runtime writes), committing with `durability`.

    Every other engine this process opens on the same SQLite file (LocalStorageBO's own,
    from its connection_string) commits the same way, as every job of an IRIS instance
    follows its one SynchCommit setting.
    """
    engine = create_engine(db_url)
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url)
        if path is not None:
            _install_hook()
            _durability_of_file[str(path)] = durability
        else:
            event.listen(engine, "connect", lambda connection, _: _pragmas(connection, durability))
    return engine


LOCK_CLASS = 0x4B44  # "KD": the first key of every instance's advisory lock (the second: its id)
SCHEMA_LOCK = 0
"""The second key of the lock under which tables are made (instance ids start at 1)."""


def create_tables_together(engine: Engine, schemas: Iterable[MetaData]) -> None:
    """The tables of `schemas`, made on a PostgreSQL server by one instance at a time.

    Several instances started together on a new PostgreSQL database would each find a
    table missing and create it: all but one then fail on a duplicate key in PostgreSQL's
    own catalog (pg_type), since CREATE TABLE of one name is not safe to run concurrently.
    Under a transaction-level advisory lock the first makes them, the others find them.
    """
    with engine.begin() as connection:
        connection.execute(_SCHEMA_LOCK, {"lock_class": LOCK_CLASS, "key": SCHEMA_LOCK})
        for schema in schemas:
            schema.create_all(connection, checkfirst=True)


_SCHEMA_LOCK = text("SELECT pg_advisory_xact_lock(:lock_class, :key)")


def trace_url(db_url: str) -> str:
    """Where the trace of the production on `db_url` is kept.

    For an SQLite file, a file beside it: `products.db` -> `products.trace.db` (any other
    name gets `.trace.db` added). Any other database (a server, or SQLite in memory) keeps
    the trace's tables in the same database: a server locks rows, not the whole database,
    and a process's in-memory database is not shared anyway.
    """
    url = make_url(db_url)
    path = sqlite_path(url)
    if path is None:
        return db_url
    name = path.name.removesuffix(".db") if path.suffix == ".db" else path.name
    return url.set(database=str(path.with_name(f"{name}.trace.db"))).render_as_string(
        hide_password=False
    )


def sqlite_path(url: URL) -> Path | None:
    """The file behind an SQLite URL; None for another database or an in-memory one."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = str(url.database)
    if database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def _install_hook() -> None:
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            event.listen(Pool, "connect", _pragmas_for_known_files)
            _hook_installed = True


def _pragmas_for_known_files(connection: Any, _: Any) -> None:
    """On every new SQLite connection of the process: the pragmas of its file, if the local
    mode opened that file."""
    if not isinstance(connection, sqlite3.Connection) or not _durability_of_file:
        return
    row = connection.execute("PRAGMA database_list").fetchone()
    durability = _durability_of_file.get(os.path.realpath(row[2])) if row and row[2] else None
    if durability is not None:
        _pragmas(connection, durability)


def _pragmas(connection: Any, durability: Durability) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={_SYNCHRONOUS[durability]}")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
