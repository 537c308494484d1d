"""A production lost mid-stream: three `kafka-demo local` in one consumer group, on one
PostgreSQL database and a three-broker Apache Kafka cluster (RF 3, min.insync.replicas=2).

One instance is SIGKILLed mid-stream and started again; while the group rebalances for
its return, another is SIGKILLed. Their partitions move to the survivors, which resume
from the offsets the dead ones left in ^KafkaDemo.Offset (on the shared server) and find
every row a dead one stored already by its source key: nothing is lost, nothing is stored
twice, no dead letter is lost. Each instance runs both Kafka doors (KafkaDemoBS and the
EnsLib.Kafka.Service stand-in), so the topic has six partitions: each of the six consumers
gets one. The longest pause in storage around each kill is reported.
"""

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.reliability.support import FULL, StorageClock, Stream, figures, scaled, wait_until
from tests.support.apache_kafka import KafkaCluster, create_topics_with_script
from tests.support.brokers import require_apache_kafka
from tests.support.local_process import LocalProcess

INSTANCES = 3
PARTITIONS = 2 * INSTANCES
RECORDS = scaled(300, 5_000)
RATE_PER_S = scaled(25, 50)
"""The stream lasts 12 s in the short form, 100 s in full: both kills land inside it."""
PRICE = "4.75"
AWAY_S = scaled(2, 10)
"""How long the first instance stays dead before it is started again."""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[KafkaCluster]:
    require_apache_kafka()
    with KafkaCluster(3, tmp_path / "cluster") as started:
        created = create_topics_with_script(
            started.bootstrap,
            {
                "KAFKA_REPLICATION_FACTOR": "3",
                "KAFKA_MIN_INSYNC_REPLICAS": "2",
                "KAFKA_TOPIC_PARTITIONS": str(PARTITIONS),
            },
        )
        assert created.returncode == 0, created.stderr[-2000:]
        yield started
        for node in started.nodes:  # nothing to keep: a controlled shutdown of the last
            node.kill()  # node, without a quorum, would wait out its timeout


@pytest.fixture
def instances() -> Iterator[list[LocalProcess]]:
    """The instances started by the test, killed after it if still running."""
    started: list[LocalProcess] = []
    yield started
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.kill()


class Products:
    """The product table on the server, read by name."""

    def __init__(self, db_url: str) -> None:
        self._engine = create_engine(db_url, pool_size=1)

    def names(self) -> Counter[str]:
        with self._engine.connect() as connection:
            return Counter(name for (name,) in connection.execute(text("SELECT name FROM product")))

    def keyless(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM product WHERE source IS NULL")))

    def count(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM product")))

    def close(self) -> None:
        self._engine.dispose()


def test_a_production_lost_mid_stream_loses_nothing_and_stores_nothing_twice(
    cluster: KafkaCluster,
    pg_url: str,
    tmp_path: Path,
    instances: list[LocalProcess],
) -> None:
    stream = Stream.of("lost", RECORDS, PRICE)
    products = set(stream.products)

    def start(number: int) -> LocalProcess:
        log = tmp_path / f"local-{number}.log"
        process = LocalProcess(pg_url, log, cluster.bootstrap)
        instances.append(process)
        process.start(timeout=90)
        return process

    started = time.monotonic()
    with ThreadPoolExecutor(INSTANCES) as starting:
        first, second, _third = starting.map(start, range(INSTANCES))
    up_s = time.monotonic() - started
    table = Products(pg_url)
    clock = StorageClock(table.count).start()
    producer = stream.produce(cluster.bootstrap, RATE_PER_S)
    events: list[tuple[str, float]] = []
    try:
        wait_until(lambda: table.count() >= len(products) // 5, 90)
        events.append(("kill-first", time.monotonic()))
        first.kill()
        time.sleep(AWAY_S)
        start(3)  # the first one again: its joining rebalances the group
        events.append(("kill-second-in-rebalance", time.monotonic()))
        second.kill()
        producer.join(timeout=RECORDS / RATE_PER_S + 120)
        wait_until(lambda: set(table.names()) >= products, 120, 0.5)
        stream.wait_for_every_commit(cluster.bootstrap, 90)
        time.sleep(2)  # a record handed over twice after its commit would show by now
    finally:
        clock.stop()
    survivors = [one for one in instances if one.process is not None and one.process.poll() is None]
    exits = [one.stop(timeout=30) for one in survivors]
    stored, keyless = table.names(), table.keyless()
    table.close()

    seen = stream.outcome(cluster.bootstrap, stored)
    pauses = {label: clock.longest_pause_after(moment) for label, moment in events}
    figures(
        "LOST_PRODUCTION",
        instances=INSTANCES,
        partitions=PARTITIONS,
        records=RECORDS,
        poison=len(stream.poison),
        full=FULL,
        instances_up_s=up_s,
        lost=seen.lost,
        stored_twice=seen.stored_twice,
        keyless_rows=keyless,
        lost_dead_letters=seen.lost_dead_letters,
        longest_pause_s=max(pauses.values()),
        **{f"pause_s[{label}]": seconds for label, seconds in pauses.items()},
    )
    assert exits == [0] * len(survivors) and len(survivors) == INSTANCES - 1
    assert set(stored) == products
    assert seen.lost == 0
    assert seen.stored_twice == 0
    assert keyless == 0  # a keyed stream: every row has its source key, whichever door read it
    assert seen.lost_dead_letters == 0
    assert seen.producer_copies == 0
