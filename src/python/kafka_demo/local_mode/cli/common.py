"""What the `kafka-demo` commands share: their error, the --db and --bootstrap checks, tables."""

import re
from collections.abc import Sequence
from pathlib import Path

from kafka_demo.local_mode.broker.ports import broker_answers

BROKER_TIMEOUT_S = 3.0
"""How long a short command waits for a broker to answer before it says there is none."""


class CommandError(Exception):
    """A failure the user can act on: printed as one line, `kafka-demo <command>: <text>`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


POSTGRES_DRIVER = "postgresql+psycopg"
"""The driver a plain postgresql:// URL gets: psycopg 3, the `postgres` extra's (SQLAlchemy's
own default for it is psycopg2)."""


def database_url(value: str) -> str:
    """--db: a SQLAlchemy URL (sqlite:///kafka_demo.db) or a plain path to an SQLite file."""
    if value.startswith(("postgresql://", "postgres://")):
        return POSTGRES_DRIVER + value[value.index("://") :]
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file behind an SQLite URL; None for another database or an in-memory one."""
    # Deferred: SQLAlchemy, which `kafka-demo --help` and a refused start never import.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from kafka_demo.local_mode.database import sqlite_path

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CommandError(
            f"--db {url!r} is neither a database URL nor a path", exit_code=2
        ) from None
    return sqlite_path(parsed)


def existing_database(value: str) -> str:
    """--db for a command that reads what `kafka-demo local` stored: it must exist already."""
    return usable_database(value, create=False)


def usable_database(value: str, *, create: bool) -> str:
    """--db as a URL, checked before anything starts: a known kind of database whose driver is
    installed, and for SQLite a file that is a database (or, with `create`, a folder to make it
    in). Anything else is a CommandError naming what is wrong."""
    url = database_url(value)
    path = sqlite_file(url)
    if path is not None:
        if not create and not path.is_file():
            raise CommandError(
                f"no database at {path}; run this where `kafka-demo local` ran,"
                " or pass its database with --db PATH"
            )
        if not path.parent.is_dir():
            raise CommandError(
                f"--db {value}: there is no folder {path.parent}; create it,"
                " or choose another database with --db PATH",
                exit_code=2,
            )
        if path.exists() and not path.is_file():
            raise CommandError(f"--db {value}: {path} is not a file", exit_code=2)
    _check_database_opens(url, value, path)
    return url


def _check_database_opens(url: str, value: str, path: Path | None) -> None:
    # Deferred: SQLAlchemy, which `kafka-demo --help` and a refused start never import.
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    shown = make_url(url).render_as_string(hide_password=True) if path is None else value
    backend = make_url(url).get_backend_name()
    try:
        engine = create_engine(url)
    except NoSuchModuleError:
        raise CommandError(
            f"--db {shown}: no kind of database called {backend!r} is known; pass a path to an"
            " SQLite file, or a SQLAlchemy URL such as sqlite:///kafka_demo.db",
            exit_code=2,
        ) from None
    except ImportError as missing:
        raise CommandError(
            f"--db {shown}: the driver for {backend} is not installed ({missing});"
            " install it, or use an SQLite file",
            exit_code=2,
        ) from None
    except ArgumentError as error:
        raise CommandError(f"--db {shown}: {error}", exit_code=2) from None
    try:
        if path is not None and path.is_file():
            with engine.connect() as connection:
                connection.execute(text("SELECT count(*) FROM sqlite_master"))
        elif path is None:
            with engine.connect():
                pass  # a server must answer before anything starts
    except DBAPIError as error:
        if path is None:
            raise CommandError(
                f"--db {shown}: the database does not answer ({first_line(error.orig)})"
            ) from None
        raise CommandError(
            f"--db {shown}: {path} is not an SQLite database ({error.orig})", exit_code=2
        ) from None
    finally:
        engine.dispose()


def first_line(error: object) -> str:
    """A driver's error on one line (psycopg adds a hint on a line of its own)."""
    return one_line(str(error), width=200)


def require_broker(bootstrap: str) -> None:
    if not broker_answers(bootstrap, BROKER_TIMEOUT_S):
        raise CommandError(
            f"no Kafka broker answers at {bootstrap}; start one with `kafka-demo local`"
            " (or name a running one with --bootstrap HOST:PORT)"
        )


def one_line(text: str, width: int) -> str:
    """The first line of `text`, spaces collapsed, cut to `width` characters with an ellipsis."""
    first = re.sub(r"\s+", " ", text.strip().splitlines()[0] if text.strip() else "")
    return first if len(first) <= width else first[: width - 3].rstrip() + "..."


def table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        cells_text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return (indent + cells_text).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
