"""What the compatibility tests read back (rows of the product table), and IRIS's Kafka message."""

import sqlite3
from decimal import Decimal
from pathlib import Path

from kafka_demo.local_mode.iris_standin import IrisObject


def stored_rows(database: Path) -> list[tuple[str, str]]:
    """(name, price to the cent) of each row, in insertion order."""
    with sqlite3.connect(database) as connection:
        found = connection.execute("SELECT name, price FROM product ORDER BY id").fetchall()
    return [(name, f"{Decimal(str(price)):.2f}") for name, price in found]


class IrisKafkaMessage(IrisObject):
    """An EnsLib.Kafka.Message as IRIS's Kafka adapter hands it to the BP: `value` is a string."""

    iris_classname = "EnsLib.Kafka.Message"

    def __init__(self, value: str, topic: str = "kafka_demo") -> None:
        self.value = value
        self.topic = topic
        self.binaryValue = None
