"""What the `kafka-demo` commands share: their error, the --db and --bootstrap checks, tables."""

import re
from collections.abc import Sequence
from pathlib import Path

from kafka_demo.local_mode.ports import broker_answers

BROKER_TIMEOUT_S = 3.0
"""How long a short command waits for a broker to answer before it says there is none."""


class CommandError(Exception):
    """A failure the user can act on: printed as one line, `kafka-demo <command>: <text>`."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def database_url(value: str) -> str:
    """--db: a SQLAlchemy URL (sqlite:///kafka_demo.db) or a plain path to an SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file behind an SQLite URL; None for another database or an in-memory one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CommandError(
            f"--db {url!r} is neither a database URL nor a path", exit_code=2
        ) from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def existing_database(value: str) -> str:
    """--db for a command that reads what `kafka-demo local` stored: it must exist already."""
    url = database_url(value)
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise CommandError(
            f"no database at {path}; run this where `kafka-demo local` ran,"
            " or pass its database with --db PATH"
        )
    return url


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
