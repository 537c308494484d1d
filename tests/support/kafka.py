"""A real broker's topics from the outside: produce, read, committed and end offsets; polling."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from kafka_demo.bo import new_record_key
from kafka_demo.defaults import IRIS_KAFKA_SERVICE, KAFKA_DEMO_BS, TOPIC
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.msg import RecordOrigin

TANSU_TOPIC_ID = "01a24107-d3a5-78a3-a2b1-308219185006"
"""A topic id as Tansu 0.6 gives one (a UUIDv7)."""


def tansu_origin(partition: int, offset: int, key: str = "") -> RecordOrigin:
    """A record of the product topic read from a Tansu broker, whose cluster id is a constant."""
    return RecordOrigin(
        topic=TOPIC,
        partition=partition,
        offset=offset,
        key=key,
        cluster_id="tansu_cluster",
        topic_id=TANSU_TOPIC_ID,
    )


def consumer_record(value: bytes | None, key: bytes | None = None) -> ConsumerRecord:
    """A record as kafka-python's consumer returns it, at offset 42 of partition 1."""
    return ConsumerRecord(
        topic=TOPIC,
        partition=1,
        leader_epoch=0,
        offset=42,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        headers=[],
        checksum=None,
        serialized_key_size=-1,
        serialized_value_size=-1,
        serialized_header_size=-1,
    )


def poll_until(
    production: LocalProduction, done: Callable[[], bool], timeout: float = 30.0
) -> None:
    """Let IRIS's adapter call KafkaDemoBS.on_poll until `done()` or the timeout."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("the condition was not reached before the timeout")
        production.process_input(KAFKA_DEMO_BS)


def both_doors_assigned(production: LocalProduction) -> bool:
    """Whether KafkaDemoBS's consumer and the EnsLib.Kafka.Service stand-in's each hold
    partitions of the topic."""
    consumer = production.component(KAFKA_DEMO_BS)._consumer
    service: Any = production.standins[IRIS_KAFKA_SERVICE]
    return bool(consumer is not None and consumer.assignment() and service.partitions)


@contextmanager
def polling_member(consumer: KafkaConsumer) -> Iterator[KafkaConsumer]:
    """`consumer` polls on a thread of its own until the block ends, then is closed: another
    member of its group, whose join starts a rebalance, as a second instance's would."""
    stopping = threading.Event()

    def poll() -> None:
        while not stopping.is_set():
            consumer.poll(timeout_ms=100)

    thread = threading.Thread(target=poll, name="another member", daemon=True)
    thread.start()
    try:
        yield consumer
    finally:
        stopping.set()
        thread.join(30)
        consumer.close()


def produce(
    bootstrap: str,
    topic: str,
    values: list[bytes],
    partitions: list[int] | None = None,
    *,
    keyed: bool = True,
    **producer_options: Any,
) -> None:
    """Send each value and wait for the broker's acks; `partitions` names each value's partition
    (else the producer picks). Each record gets a unique key, as the project's producers give
    one, unless `keyed` is False."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **producer_options)
    chosen: list[int | None] = list(partitions) if partitions is not None else [None] * len(values)
    for value, partition in zip(values, chosen, strict=True):
        producer.send(topic, value, key=record_key() if keyed else None, partition=partition)
    producer.flush()
    producer.close()


def record_key() -> bytes:
    """A key no other record has, as KafkaDemoBO gives one."""
    return new_record_key().encode("ascii")


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
