"""SIGKILL `kafka-demo local` at random moments while a stream is consumed: nothing is lost,
nothing is stored twice.

The broker runs in the test process, so the records and the group's committed
offsets outlive every crash of the runtime; the runtime restarts on the same
SQLite file, whose ^KafkaDemo.Offset global says what was already handed over.

A kill lands between a batch's hand-off and its offsets (written once per
batch, before the Kafka commit), so the restarted consumer reads part of a
batch again. A product comes again with its source key (topic, partition,
offset), already stored: no second row. A poison record in such a batch is
dead-lettered again, and the dead-letter topic is not idempotent: those
duplicate dead letters are counted and reported apart, not bounded.

Two consumers share the group: KafkaDemoBS and EnsLib.Kafka.Service (its
stand-in). Every record carries a unique Kafka key, as the project's producers
give one, and a keyed record is stored under its key whichever consumer reads
it: a record the IRIS adapter hands over again after a kill (its poll's records
were not committed yet), or one KafkaDemoBS handed over but had not committed
when a kill or a rebalance gave its partition to the other consumer, finds its
row. So no copy is stored twice, by key or without one (`keyless_duplicates`
counts rows beyond the records that have no source key: there must be none).
"""

import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kafka_demo.defaults import DLQ_TOPIC, GROUP_ID, TOPIC
from tests.reliability.support import PacedProducer, figures, product_value, scaled, wait_until
from tests.support.brokers import BROKER_KINDS, Broker
from tests.support.kafka import committed_offsets, log_end_offsets, read_topic
from tests.support.local_process import LocalProcess
from tests.support.storage import duplicates_by_key, stored_names

pytestmark = [
    pytest.mark.parametrize("broker", BROKER_KINDS, indirect=True),
]

RECORDS = scaled(900, 10_000)
KILLS = scaled(2, 5)
POISON_EVERY = 50
"""Every 50th record is poison (no price): it must reach the dead-letter topic."""
RATE_PER_S = scaled(30, 80)
"""Slow enough that the stream outlasts every kill (30 s at the small count, 125 s in full):
the runtime drains a backlog at hundreds of records a second, so each kill must land while
records remain to be produced, not merely stored."""
DRAIN_BOUND_S = 60 + RECORDS / 10
"""Every record stored within this long after the last restart (a tenth of the measured pace)."""


def test_sigkill_at_random_moments_loses_nothing_and_stores_nothing_twice(
    broker: Broker, db_path: Path, start_local: Callable[[], LocalProcess]
) -> None:
    seed = int(os.environ.get("KAFKA_DEMO_SEED", "20260611"))
    chance = random.Random(seed)
    names = [f"crash-{index:05d}" for index in range(RECORDS)]
    poison = {name for index, name in enumerate(names) if index % POISON_EVERY == POISON_EVERY - 1}
    products = [name for name in names if name not in poison]
    values = [
        poison_value(name) if name in poison else product_value(name, PRICE) for name in names
    ]
    started = time.monotonic()
    runtime = start_local()
    producer = PacedProducer(broker.bootstrap, TOPIC, values, RATE_PER_S).start()

    kills = kills_mid_stream = 0
    for _ in range(KILLS):
        before = sum(stored_names(db_path).values())
        wait_until(lambda before=before: sum(stored_names(db_path).values()) > before, 60)
        time.sleep(chance.uniform(0.0, 1.5))
        runtime.kill()
        kills += 1
        kills_mid_stream += len(stored_names(db_path)) < len(products)
        runtime = start_local()
    restarted = time.monotonic()

    producer.join(timeout=RECORDS / RATE_PER_S + 60)
    stream_ended = time.monotonic()
    wait_until(lambda: set(stored_names(db_path)) >= set(products), DRAIN_BOUND_S, 0.5)
    drain_s = time.monotonic() - restarted
    after_stream_s = time.monotonic() - stream_ended
    ends = log_end_offsets(broker.bootstrap, TOPIC, RECORDS)
    wait_until(lambda: committed_offsets(broker.bootstrap, TOPIC, GROUP_ID) == ends, 30, 0.5)
    time.sleep(2)  # a record handed over twice after its commit would show by now
    stored = stored_names(db_path)
    records = read_topic(broker.bootstrap, TOPIC, RECORDS)
    in_topic = Counter(record.value for record in records)
    # A producer's retry writes a record twice under one key: one record, to be stored once.
    keyed = Counter(value for value, _ in {(record.value, record.key) for record in records})
    copies = Counter({name: keyed[product_value(name, PRICE)] for name in products})
    lost = sum(max(0, copies[name] - stored[name]) for name in products)
    duplicates, keyless_duplicates = duplicates_by_key(db_path, copies)
    letters = Counter(record.value for record in read_all(broker.bootstrap, DLQ_TOPIC))
    sent = Counter({name: in_topic[poison_value(name)] for name in poison})
    lost_letters = sum(max(0, sent[name] - letters[poison_value(name)]) for name in poison)
    duplicate_letters = sum(max(0, letters[poison_value(name)] - sent[name]) for name in poison)
    runtime.stop()

    figures(
        "CRASH",
        records=RECORDS,
        poison=len(poison),
        kills=kills,
        kills_mid_stream=kills_mid_stream,
        lost=lost,
        duplicates=duplicates,
        keyless_duplicates=keyless_duplicates,
        lost_dead_letters=lost_letters,
        duplicate_dead_letters=duplicate_letters,
        producer_copies=sum(in_topic.values()) - RECORDS,
        drain_s=drain_s,
        after_stream_s=after_stream_s,
        run_s=time.monotonic() - started,
        seed=seed,
    )
    assert kills_mid_stream == KILLS, "each kill must land while records remain to be stored"
    assert set(stored) == set(products)
    assert lost == 0
    assert duplicates == 0
    assert keyless_duplicates == 0
    assert lost_letters == 0


PRICE = "12.34"


def poison_value(name: str) -> bytes:
    """A record that cannot become a product (it has no price): a dead letter."""
    return json.dumps({"name": name}).encode()


def read_all(bootstrap: str, topic: str) -> list[Any]:
    """Every record of the topic: read until none has come for a few seconds."""
    return read_topic(bootstrap, topic, expected=sys.maxsize, timeout=5)
