"""A LocalRuntime fed by hand, as its doors would feed it, and a storage outage to fail it."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from iop.messages.dispatch import dispatch_serializer

from kafka_demo import defaults
from kafka_demo.local_mode.runtime import LocalRuntime
from kafka_demo.msg import KafkaRawMessage


def hand_over(runtime: LocalRuntime, value: bytes, offset: int) -> None:
    """What KafkaDemoBS does with a record: an async send to the BP."""
    assert runtime.production is not None
    record = KafkaRawMessage.from_record(value, defaults.TOPIC, 0, offset)
    runtime.production.deliver(
        defaults.KAFKA_DEMO_BS, defaults.KAFKA_DEMO_BP, dispatch_serializer(record), sync=False
    )


@contextmanager
def storage_outage(database: Path) -> Iterator[None]:
    """While inside, SQLite itself refuses every insert into the product table (a trigger)."""
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TRIGGER outage BEFORE INSERT ON product "
            "BEGIN SELECT RAISE(ABORT, 'storage is down'); END"
        )
    try:
        yield
    finally:
        with sqlite3.connect(database) as connection:
            connection.execute("DROP TRIGGER outage")
