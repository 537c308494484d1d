"""Kafka helpers of the benchmark: fresh topics, produced records, a joined consumer, and the
consume floor."""

import json
import time
from itertools import count

from kafka import KafkaConsumer, KafkaProducer
from stats import wait_for

from kafka_demo.kafka_io.clients import open_consumer
from kafka_demo.local_mode.broker.tansu import create_topics
from kafka_demo.local_mode.config import LocalConfig

PARTITIONS = 2
"""As the production's topic: two partitions, so both Kafka doors get a share."""
JOIN_POLL_INTERVAL_MS = 1500
"""Tansu completes a group join only after about max_poll_interval_ms (as in the tests)."""
_runs = count(1)


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
    wait_for(lambda: _polled_and_assigned(consumer), 30, "the group join", step=0)
    return consumer


def _polled_and_assigned(consumer: KafkaConsumer) -> bool:
    consumer.poll(timeout_ms=100)
    return len(consumer.assignment()) == PARTITIONS


def consume_rate(bootstrap: str, records: int) -> float:
    """Records/s of a joined consumer draining `records` (poll, then commit each batch)."""
    run = next(_runs)
    topic = new_topic(bootstrap, f"bench_consume_{run}")
    consumer = joined_consumer(bootstrap, topic, f"bench-consume-{run}")
    try:
        produce(bootstrap, topic, product_values(records, "consume"))
        seen = 0
        started = time.perf_counter()
        while seen < records:
            batch = consumer.poll(timeout_ms=1000)
            seen += sum(len(found) for found in batch.values())
            if batch:
                consumer.commit()
        return records / (time.perf_counter() - started)
    finally:
        consumer.close()
