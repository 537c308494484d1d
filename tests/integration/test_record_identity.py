"""Records of a foreign producer, through either Kafka door: an update by key is stored, the
same record read twice is stored once, and every record ends stored, dead-lettered, or (an
outage) an error for a resend."""

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Producer

from kafka_demo.defaults import IRIS_KAFKA_SERVICE, KAFKA_DEMO_BS
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.trace.vocabulary import DEAD_LETTER_CLASS, ERROR, MemoryTrace
from tests.support.kafka import read_topic
from tests.support.local_runtime import STORAGE_OUTAGE_ERROR, STORAGE_OUTAGE_TRIGGER
from tests.support.storage import stored_rows

WIDGET_AT_5 = b'{"name": "widget", "price": 5}'
WIDGET_AT_6 = b'{"name": "widget", "price": 6}'
TOO_DEAR = b'{"name": "dear", "price": 5000}'
REFUSAL = "the table refuses the product: CHECK constraint failed: price < 1000"


def send_as_a_foreign_producer(
    bootstrap: str, topic: str, records: list[tuple[str, bytes]]
) -> None:
    """confluent-kafka (librdkafka), as a user's own producer would send: keyed records."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for key, value in records:
        producer.produce(topic, value=value, key=key.encode())
    assert producer.flush(30) == 0, "records left unacknowledged"


def table_with_a_price_check(database: Path) -> None:
    """The product table as its owner may have made it: a CHECK that refuses dear products."""
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE product (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, "
            "price NUMERIC(10, 2) NOT NULL CHECK (price < 1000), source VARCHAR(400) UNIQUE)"
        )


@dataclass
class Door:
    """A production with one Kafka door running, and how to let it work until a condition."""

    production: LocalProduction
    polls_itself: bool

    def wait(self, done: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "not reached before the timeout"
            if self.polls_itself:
                time.sleep(0.1)
            else:  # IRIS's adapter calls KafkaDemoBS's on_poll
                self.production.process_input(KAFKA_DEMO_BS)


DOORS = pytest.mark.parametrize("door", [KAFKA_DEMO_BS, IRIS_KAFKA_SERVICE])


def start_door(door: str, request: pytest.FixtureRequest) -> Door:
    """KafkaDemoBS alone, or the EnsLib.Kafka.Service stand-in alone, on this test's topic."""
    if door == KAFKA_DEMO_BS:
        return Door(request.getfixturevalue("start_production")(), polls_itself=False)
    start = request.getfixturevalue("start_with_iris_adapter")
    return Door(start(skip={KAFKA_DEMO_BS: "one consumer only"}), polls_itself=True)


def dead_letters_sent(running: Door) -> int:
    trace = running.production.trace
    assert isinstance(trace, MemoryTrace)
    return sum(hop.message_class.endswith(DEAD_LETTER_CLASS) for hop in trace.hops)


def error_hops(running: Door) -> list[str]:
    trace = running.production.trace
    assert isinstance(trace, MemoryTrace)
    return [hop.error for hop in trace.hops if hop.status == ERROR]


@DOORS
def test_an_update_by_key_is_stored_the_same_record_twice_once_and_a_refusal_dead_lettered(
    door: str,
    request: pytest.FixtureRequest,
    kafka_bootstrap: str,
    topics: dict[str, str],
    database: Path,
) -> None:
    table_with_a_price_check(database)
    running = start_door(door, request)
    send_as_a_foreign_producer(
        kafka_bootstrap,
        topics["topic"],
        [
            ("sku-42", WIDGET_AT_5),
            ("sku-42", WIDGET_AT_6),
            ("sku-42", WIDGET_AT_5),  # the same record again: a producer's retry, say
            ("sku-43", TOO_DEAR),
            ("sku-44", b'{"name": "last", "price": 7}'),
        ],
    )

    running.wait(lambda: len(stored_rows(database)) >= 3 and dead_letters_sent(running) >= 1)
    letters = read_topic(kafka_bootstrap, topics["dlq_topic"], expected=1)

    assert sorted(stored_rows(database)) == [
        ("last", "7.00"),
        ("widget", "5.00"),
        ("widget", "6.00"),
    ]
    [letter] = letters
    assert (letter.key, letter.value) == (b"sku-43", TOO_DEAR)
    assert dict(letter.headers)["dlq.reason"].decode() == REFUSAL
    assert error_hops(running) == []


@DOORS
def test_a_storage_outage_stays_an_error_for_a_resend_and_is_not_dead_lettered(
    door: str,
    request: pytest.FixtureRequest,
    kafka_bootstrap: str,
    topics: dict[str, str],
    database: Path,
) -> None:
    running = start_door(door, request)
    send_as_a_foreign_producer(kafka_bootstrap, topics["topic"], [("sku-1", WIDGET_AT_5)])
    running.wait(lambda: len(stored_rows(database)) == 1)
    with sqlite3.connect(database) as connection:
        connection.execute(STORAGE_OUTAGE_TRIGGER.format(name="outage", when=""))

    send_as_a_foreign_producer(kafka_bootstrap, topics["topic"], [("sku-2", WIDGET_AT_6)])
    running.wait(lambda: bool(error_hops(running)))

    assert all(STORAGE_OUTAGE_ERROR in error for error in error_hops(running))
    assert read_topic(kafka_bootstrap, topics["dlq_topic"], expected=1, timeout=3) == []
    assert stored_rows(database) == [("widget", "5.00")]
