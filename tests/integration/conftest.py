"""A production wired by settings.py, on a real broker and a real SQLite file."""

import itertools
import sqlite3
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

import settings
from kafka_demo.defaults import KAFKA_DEMO_BO, KAFKA_DEMO_BP, KAFKA_DEMO_BS, LOCAL_STORAGE_BO
from kafka_demo.local_mode.router import LocalProduction

pytestmark = pytest.mark.integration

_groups = itertools.count(1)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "products.db"


@pytest.fixture
def production_settings(
    kafka_bootstrap: str, topics: dict[str, str], database: Path
) -> dict[str, dict[str, Any]]:
    """settings.py's items, pointed at this test's broker, topics, group and database."""
    kafka = {"kafka_broker": kafka_bootstrap, "topic": topics["topic"]}
    return {
        KAFKA_DEMO_BS: {
            **kafka,
            "group_id": f"demo-group-{next(_groups)}",
            "timeout": 0.2,
            # Tansu completes a group join only after about max_poll_interval_ms.
            "max_poll_interval_ms": 1500,
        },
        KAFKA_DEMO_BO: {**kafka, "dlq_topic": topics["dlq_topic"]},
        LOCAL_STORAGE_BO: {"connection_string": f"sqlite:///{database}"},
        # The IRIS ORM route writes to the recording fake, not to this file.
        KAFKA_DEMO_BP: {"storage_routes": "sql,sqlalchemy"},
    }


@pytest.fixture
def start_production(
    production_settings: dict[str, dict[str, Any]],
) -> Iterator[Callable[..., LocalProduction]]:
    started: list[LocalProduction] = []

    def start(skip: dict[str, str] | None = None) -> LocalProduction:
        production = LocalProduction(
            settings.PRODUCTIONS[0], settings=production_settings, skip=skip
        )
        production.start()
        started.append(production)
        return production

    yield start
    for production in started:
        production.stop()


def poll_until(
    production: LocalProduction, done: Callable[[], bool], timeout: float = 30.0
) -> None:
    """Let IRIS's adapter call KafkaDemoBS.on_poll until `done()` or the timeout."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("the condition was not reached before the timeout")
        production.process_input("Python.KafkaDemoBS")


def stored_rows(database: Path) -> list[tuple[str, str]]:
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        try:
            found = connection.execute("SELECT name, price FROM product ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            return []
    return [(name, f"{Decimal(str(price)):.2f}") for name, price in found]


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for value in values:
        producer.send(topic, value)
    producer.flush()
    producer.close()


def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 15.0) -> list[Any]:
    """Every record of a topic, read without a group (partitions assigned by hand)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partitions = [
        TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(records) < expected and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(batch)
    consumer.close()
    return records


def committed_offsets(bootstrap: str, topic: str, group_id: str) -> dict[int, int]:
    """Per partition, the group's committed offset (0 where it committed none)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False
    )
    partitions = consumer.partitions_for_topic(topic) or set()
    offsets = {p: consumer.committed(TopicPartition(topic, p)) or 0 for p in sorted(partitions)}
    consumer.close()
    return offsets


def log_end_offsets(bootstrap: str, topic: str, expected_records: int) -> dict[int, int]:
    """Per partition, the offset after its last record (0 if it has none), read from the
    records themselves.

    (Tansu's ListOffsets answer counts record batches, not records, so it is not used.)
    """
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    ends = dict.fromkeys(sorted(consumer.partitions_for_topic(topic) or ()), 0)
    consumer.close()
    for record in read_topic(bootstrap, topic, expected_records):
        ends[record.partition] = max(ends.get(record.partition, 0), record.offset + 1)
    return ends
