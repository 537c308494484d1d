"""Kafka helpers of the benchmark: fresh topics, produced records, a joined consumer."""

import json
import time
from collections.abc import Callable

from kafka import KafkaConsumer, KafkaProducer

from kafka_demo.kafka_io.clients import open_consumer
from kafka_demo.local_mode.broker.tansu import create_topics
from kafka_demo.local_mode.config import LocalConfig

PARTITIONS = 2
"""As the production's topic: two partitions, so both Kafka doors get a share."""
JOIN_POLL_INTERVAL_MS = 1500
"""Tansu completes a group join only after about max_poll_interval_ms (as in the tests)."""


def product_values(count: int, tag: str) -> list[bytes]:
    return [json.dumps({"name": f"{tag} {i}", "price": 1.5}).encode() for i in range(count)]


def new_topic(bootstrap: str, name: str) -> str:
    create_topics(bootstrap, {name: PARTITIONS})
    return name


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for value in values:
        producer.send(topic, value)
    producer.flush()
    producer.close()


def joined_consumer(bootstrap: str, topic: str, group_id: str) -> KafkaConsumer:
    """The consumer KafkaDemoBS opens (same function, same settings), once it has partitions."""
    consumer = open_consumer(
        kafka_broker=bootstrap,
        topic=topic,
        group_id=group_id,
        max_poll_interval_ms=JOIN_POLL_INTERVAL_MS,
        max_poll_records=LocalConfig().max_poll_records,
    )
    wait_until(lambda: _polled_and_assigned(consumer), timeout=30, what="the group join")
    return consumer


def _polled_and_assigned(consumer: KafkaConsumer) -> bool:
    consumer.poll(timeout_ms=100)
    return len(consumer.assignment()) == PARTITIONS


def wait_until(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
