"""What the compatibility tests read back: rows of the product table."""

import sqlite3
from decimal import Decimal
from pathlib import Path


def stored_rows(database: Path) -> list[tuple[str, str]]:
    """(name, price to the cent) of each row, in insertion order."""
    with sqlite3.connect(database) as connection:
        found = connection.execute("SELECT name, price FROM product ORDER BY id").fetchall()
    return [(name, f"{Decimal(str(price)):.2f}") for name, price in found]
