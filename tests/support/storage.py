"""The product table read back as another client of the SQLite file would read it, and that
client holding the file's write lock."""

import sqlite3
import time
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path


def product_rows(database: Path) -> list[tuple[int, str, str]]:
    """(id, name, price to the cent) of each row, in insertion order; none before the table exists.

    The long timeout lets a test read while a running `kafka-demo local` writes.
    """
    if not database.exists():
        return []
    connection = sqlite3.connect(database, timeout=30)
    try:
        found = connection.execute("SELECT id, name, price FROM product ORDER BY id").fetchall()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []
        raise
    finally:
        connection.close()
    return [(row_id, name, f"{Decimal(str(price)):.2f}") for row_id, name, price in found]


def stored_rows(database: Path) -> list[tuple[str, str]]:
    """(name, price to the cent) of each row, in insertion order."""
    return [(name, price) for _, name, price in product_rows(database)]


def stored_names(database: Path) -> Counter[str]:
    """How many product rows hold each name."""
    return Counter(name for _, name, _ in product_rows(database))


def table_names(database: Path) -> set[str]:
    connection = sqlite3.connect(database, timeout=30)
    try:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    finally:
        connection.close()


def keyless_names(database: Path) -> Counter[str]:
    """How many rows of each name have no source key (inputs without Kafka coordinates)."""
    connection = sqlite3.connect(database, timeout=30)
    try:
        found = connection.execute("SELECT name FROM product WHERE source IS NULL").fetchall()
    finally:
        connection.close()
    return Counter(name for (name,) in found)


def duplicates_by_key(database: Path, copies: Mapping[str, int]) -> tuple[int, int]:
    """Rows beyond the `copies` of each name produced: (those with a source key, those without).

    A source key is unique, so a record stored twice has at least one keyless copy: a record
    without a Kafka key that came (also) through EnsLib.Kafka.Service, whose message carries
    no partition or offset.
    """
    stored = stored_names(database)
    keyless = keyless_names(database)
    extra = {name: max(0, stored[name] - count) for name, count in copies.items()}
    without_key = sum(min(extra[name], keyless[name]) for name in copies)
    return sum(extra.values()) - without_key, without_key


def hold_exclusive_lock(database: Path, seconds: float) -> None:
    """What another program writing to the file would do: no one else may write meanwhile."""
    connection = sqlite3.connect(database, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()
