"""A LocalRuntime fed by hand, as its doors would feed it, and a storage outage to fail it."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from iop.messages.dispatch import dispatch_serializer

from kafka_demo import defaults
from kafka_demo.local_mode.iris.iris_kafka_service import KafkaMessage
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.msg import KafkaRawMessage
from tests.support.kafka import tansu_origin


def hand_over(runtime: LocalRuntime, value: bytes, offset: int, key: str = "") -> None:
    """What KafkaDemoBS does with a record: an async send to the BP."""
    assert runtime.production is not None
    record = KafkaRawMessage.from_record(value, tansu_origin(0, offset, key))
    runtime.production.deliver(
        defaults.KAFKA_DEMO_BS, defaults.KAFKA_DEMO_BP, dispatch_serializer(record), sync=False
    )


def hand_over_as_iris_adapter(
    runtime: LocalRuntime, value: bytes, offset: int, key: str = ""
) -> None:
    """What EnsLib.Kafka.Service does with a record: an async send of an EnsLib.Kafka.Message,
    which carries no offset."""
    assert runtime.production is not None
    message = KafkaMessage(defaults.TOPIC, value.decode(), key)
    runtime.production.deliver(
        defaults.IRIS_KAFKA_SERVICE, defaults.KAFKA_DEMO_BP, message, sync=False
    )


STORAGE_OUTAGE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS {name} BEFORE INSERT ON product {when}"
    "BEGIN SELECT abs(-9223372036854775807 - 1); END"
)
STORAGE_OUTAGE_ERROR = "integer overflow"
"""What SQLite answers an insert while the trigger is there: an OperationalError, at run time."""


@contextmanager
def storage_outage(database: Path) -> Iterator[None]:
    """While inside, SQLite itself fails every insert into the product table with an
    OperationalError, as a database that is away fails it: a trigger computes an integer
    overflow (a trigger's RAISE would be a constraint, which the BO takes as a refusal for
    good)."""
    with sqlite3.connect(database) as connection:
        connection.execute(STORAGE_OUTAGE_TRIGGER.format(name="outage", when=""))
    try:
        yield
    finally:
        with sqlite3.connect(database) as connection:
            connection.execute("DROP TRIGGER outage")
