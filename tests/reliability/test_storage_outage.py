"""The product database locked for several seconds mid-stream: nothing silently dropped.

Another connection holds an exclusive SQLite lock longer than the runtime's busy
timeout (5 s). The products and ^KafkaDemo.Offset share that file (the trace has
one of its own), so the lock stalls the BO and the hand-off alike. Afterwards every record is stored
exactly once, or is an Error in the trace that `kafka-demo replay` stores; the
runtime keeps running throughout.

KafkaDemoBS's poller waits for the store, so a long lock gets it taken for dead
by the group, and the partition it had not committed goes to the other consumer,
EnsLib.Kafka.Service. Every record has a key, which that consumer's message
carries too, so the records it reads again find their rows; and a replayed input
whose record was stored since adds none. Nothing is stored twice, with a key or
without (`keyless_duplicates`).
"""

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from kafka_demo.defaults import GROUP_ID, TOPIC
from kafka_demo.local_mode.database import trace_url
from kafka_demo.local_mode.trace.queries import failed_inputs
from tests.reliability.support import PacedProducer, figures, product_value, scaled, wait_until
from tests.support.brokers import BROKER_KINDS, Broker
from tests.support.kafka import committed_offsets, log_end_offsets
from tests.support.local_process import LocalProcess, http, kafka_demo
from tests.support.storage import duplicates_by_key, hold_exclusive_lock, stored_names

pytestmark = [
    pytest.mark.parametrize("broker", BROKER_KINDS, indirect=True),
]

RECORDS = scaled(400, 1_500)
RATE_PER_S = 40
LOCK_S = 8.0
"""Longer than the busy timeout, so writes waiting on the lock fail."""
DRAIN_BOUND_S = 60 + RECORDS / 10


def test_a_locked_database_neither_drops_nor_duplicates_and_replay_stores_the_failures(
    broker: Broker, db_path: Path, start_local: Callable[[], LocalProcess]
) -> None:
    names = [f"outage-{index:05d}" for index in range(RECORDS)]
    runtime = start_local()
    producer = PacedProducer(
        broker.bootstrap, TOPIC, [product_value(name, "5.5") for name in names], RATE_PER_S
    ).start()
    wait_until(lambda: len(stored_names(db_path)) >= min(40, RECORDS // 4), 60)

    stored_before_lock = len(stored_names(db_path))
    hold_exclusive_lock(db_path, LOCK_S)
    stored_after_lock = len(stored_names(db_path))

    producer.join(timeout=RECORDS / RATE_PER_S + 60)
    ends = log_end_offsets(broker.bootstrap, TOPIC, RECORDS)
    wait_until(lambda: committed_offsets(broker.bootstrap, TOPIC, GROUP_ID) == ends, DRAIN_BOUND_S)
    failed = failed_names(db_path)
    unaccounted = set(names) - set(stored_names(db_path)) - set(failed)

    replay = kafka_demo("replay", "--db", f"sqlite:///{db_path}", "--bootstrap", broker.bootstrap)
    time.sleep(1)
    stored = stored_names(db_path)
    duplicates, keyless_duplicates = duplicates_by_key(db_path, dict.fromkeys(names, 1))
    alive = runtime.process is not None and runtime.process.poll() is None
    healthy = http("GET", f"{runtime.url}/health")[0] == 200
    log = runtime.log_path.read_text(errors="replace")
    runtime.stop()

    figures(
        "OUTAGE",
        records=RECORDS,
        lock_s=LOCK_S,
        stored_during_lock=stored_after_lock - stored_before_lock,
        failed_in_trace=len(failed),
        replayed=replay.stdout.count(" resent to "),
        unaccounted=len(unaccounted),
        stored_once=sum(stored[name] == 1 for name in names),
        duplicates=duplicates,
        keyless_duplicates=keyless_duplicates,
        lost=sum(stored[name] == 0 for name in names),
        handoff_retries=log.count("not handed over"),
        runtime_alive=alive and healthy,
    )
    assert not unaccounted, sorted(unaccounted)[:10]
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert set(stored) == set(names)
    assert duplicates == 0
    assert keyless_duplicates == 0  # every record has a key, so replay finds what Kafka stored
    assert failed_names(db_path) == []
    assert alive and healthy


def failed_names(db_path: Path) -> list[str]:
    """The products of the Kafka inputs that ended in an Error and were not resent yet."""
    engine = create_engine(trace_url(f"sqlite:///{db_path}"))
    try:
        hops = failed_inputs(engine)
    finally:
        engine.dispose()
    return [json.loads(json.loads(hop.body)["value"])["name"] for hop in hops]
