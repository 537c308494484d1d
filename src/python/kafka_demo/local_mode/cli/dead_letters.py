"""Reading a whole topic (the dead-letter topic) without joining a consumer group."""

import time
from typing import Any

from kafka import KafkaConsumer, TopicPartition

READ_TIMEOUT_S = 10.0


def read_topic(bootstrap: str, topic: str) -> list[Any] | None:
    """Every record of `topic`, from the first offset to the end when called; None if there is
    no such topic. No group and no commit: reading changes nothing on the broker."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            return None
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        records: list[Any] = []
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(consumer.position(tp) < ends[tp] for tp in assigned):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} could not be read to its end in {READ_TIMEOUT_S} s")
            for batch in consumer.poll(timeout_ms=500).values():
                records += batch
        return records
    finally:
        consumer.close()
