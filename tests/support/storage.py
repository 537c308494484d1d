"""The product table read back as another client of the SQLite file would read it."""

import sqlite3
from collections import Counter
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
