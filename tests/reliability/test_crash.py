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

import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.support import Stream, figures, scaled, wait_until
from tests.support.brokers import BROKER_KINDS, Broker
from tests.support.local_process import LocalProcess
from tests.support.storage import duplicates_by_key, stored_names

pytestmark = [
    pytest.mark.parametrize("broker", BROKER_KINDS, indirect=True),
]

RECORDS = scaled(900, 10_000)
KILLS = scaled(2, 5)
PRICE = "12.34"
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
    stream = Stream.of("crash", RECORDS, PRICE)
    products = set(stream.products)
    started = time.monotonic()
    runtime = start_local()
    producer = stream.produce(broker.bootstrap, RATE_PER_S)

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
    wait_until(lambda: set(stored_names(db_path)) >= products, DRAIN_BOUND_S, 0.5)
    drain_s = time.monotonic() - restarted
    after_stream_s = time.monotonic() - stream_ended
    stream.wait_for_every_commit(broker.bootstrap, 30)
    time.sleep(2)  # a record handed over twice after its commit would show by now
    stored = stored_names(db_path)
    seen = stream.outcome(broker.bootstrap, stored)
    duplicates, keyless_duplicates = duplicates_by_key(db_path, seen.copies)
    runtime.stop()

    figures(
        "CRASH",
        records=RECORDS,
        poison=len(stream.poison),
        kills=kills,
        kills_mid_stream=kills_mid_stream,
        lost=seen.lost,
        duplicates=duplicates,
        keyless_duplicates=keyless_duplicates,
        lost_dead_letters=seen.lost_dead_letters,
        duplicate_dead_letters=seen.duplicate_dead_letters,
        producer_copies=seen.producer_copies,
        drain_s=drain_s,
        after_stream_s=after_stream_s,
        run_s=time.monotonic() - started,
        seed=seed,
    )
    assert kills_mid_stream == KILLS, "each kill must land while records remain to be stored"
    assert set(stored) == products
    assert seen.lost == 0
    assert duplicates == 0
    assert keyless_duplicates == 0
    assert seen.lost_dead_letters == 0
