"""The EnsLib.Kafka.Service stand-in on a real broker: a second consumer of the group."""

import json
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from kafka_demo.local_mode.iris.iris_kafka_service import IrisKafkaService
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.trace.vocabulary import MemoryTrace
from tests.support.kafka import (
    both_doors_assigned,
    committed_offsets,
    log_end_offsets,
    read_topic,
)
from tests.support.storage import stored_rows

SERVICE = "EnsLib.Kafka.Service"


def wait_for(done: Callable[[], bool], timeout: float = 30, poll: Callable[[], Any] = time.sleep):
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("not reached before the timeout")
        poll(0.1)


def sessions_by_door(trace: MemoryTrace) -> Counter[tuple[str, str]]:
    """Per first hop of each session: its source and the class of the message it sent."""
    first = {}
    for hop in trace.hops:
        first.setdefault(hop.session_id, (hop.source, hop.message_class))
    return Counter(first.values())


def send(bootstrap: str, topic: str, records: list[tuple[int, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for partition, value in records:
        producer.send(topic, value, partition=partition)
    producer.flush()
    producer.close()


def test_records_and_poison_through_the_iris_adapter_reach_the_table_and_the_dlq(
    start_with_iris_adapter: Callable[..., LocalProduction],
    kafka_bootstrap: str,
    topics: dict[str, str],
    production_settings: dict[str, dict[str, Any]],
    database: Path,
) -> None:
    production = start_with_iris_adapter(skip={"Python.KafkaDemoBS": "one consumer only"})
    valid = [(i % 2, f'{{"name": "adapter {i}", "price": {i}.5}}'.encode()) for i in range(6)]
    poison = [(0, b"\xff\xfe not utf-8"), (1, b'{"name": "neg", "price": -1}'), (0, b"")]
    send(kafka_bootstrap, topics["topic"], valid + poison)

    letters = read_topic(kafka_bootstrap, topics["dlq_topic"], expected=len(poison), timeout=30)
    wait_for(lambda: len(stored_rows(database)) == len(valid))

    assert sorted(stored_rows(database)) == sorted((f"adapter {i}", f"{i}.50") for i in range(6))
    assert sorted(letter.value for letter in letters) == sorted(value for _, value in poison)
    assert {dict(letter.headers)["dlq.reason"] for letter in letters} == {
        b"payload is not valid UTF-8 (byte 0: b'\\xff')",
        b"price must not be negative",
        b"payload is not valid JSON (Expecting value at position 0)",
    }
    # EnsLib.Kafka.Message carries the topic, not the partition or offset
    # (docs/iris-evidence.md#kafka-message).
    assert {dict(letter.headers)["dlq.topic"] for letter in letters} == {topics["topic"].encode()}
    assert {dict(letter.headers)["dlq.partition"] for letter in letters} == {b"-1"}
    # Committed after each record's hand-off returned, so after every hop was finished: a row
    # is visible a moment before its hop is Completed.
    group = production_settings["Python.KafkaDemoBS"]["group_id"]
    ends = log_end_offsets(kafka_bootstrap, topics["topic"], len(valid + poison))
    wait_for(lambda: committed_offsets(kafka_bootstrap, topics["topic"], group) == ends)
    trace = production.trace
    assert isinstance(trace, MemoryTrace)
    assert sessions_by_door(trace) == {(SERVICE, "EnsLib.Kafka.Message"): 9}
    assert [h for h in trace.hops if h.status != "Completed"] == []


def test_both_consumers_of_the_group_share_the_partitions_and_store_each_record_once(
    start_with_iris_adapter: Callable[..., LocalProduction],
    kafka_bootstrap: str,
    topics: dict[str, str],
    database: Path,
) -> None:
    production = start_with_iris_adapter()
    assert isinstance(production.standins[SERVICE], IrisKafkaService)

    def poll_bs(_: float) -> None:
        production.process_input("Python.KafkaDemoBS")

    # On Apache Kafka a leader that assigns before its first metadata of the new topic
    # assigns nothing and rebalances again; each round may wait the whole rebalance
    # timeout (10 s there) for the slower member on a loaded machine.
    wait_for(partial(both_doors_assigned, production), timeout=60, poll=poll_bs)
    count = 120
    send(
        kafka_bootstrap,
        topics["topic"],
        [(i % 2, f'{{"name": "shared {i:03d}", "price": 1}}'.encode()) for i in range(count)],
    )
    wait_for(lambda: len(stored_rows(database)) >= count, timeout=60, poll=poll_bs)

    names = Counter(name for name, _ in stored_rows(database))
    assert names == Counter({f"shared {i:03d}": 1 for i in range(count)})
    trace = production.trace
    assert isinstance(trace, MemoryTrace)
    doors = sessions_by_door(trace)
    assert doors == {
        ("Python.KafkaDemoBS", "kafka_demo.msg.KafkaRawMessage"): count // 2,
        (SERVICE, "EnsLib.Kafka.Message"): count // 2,
    }
    routes = Counter(
        json.loads(hop.body)["route"]
        for hop in trace.hops
        if hop.message_class == "kafka_demo.msg.ProductStored"
    )
    assert set(routes) == {"sql", "iris", "sqlalchemy"}
    assert routes.total() == count
