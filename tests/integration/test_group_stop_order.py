"""Both Kafka consumers of the local mode (KafkaDemoBS and the EnsLib.Kafka.Service stand-in)
in one group, stopped and restarted on each broker.

A difference between the brokers: Tansu keeps a leader that left a rebalancing group as the
leader of its next generation, so the local mode stops the group's leader first, reading
kafka-python's private `_is_leader` (runtime.stop_production). Apache Kafka elects the next
leader among the members that join, so there the consumers stop in any order and the
workaround must not run at all.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kafka_demo.defaults import KAFKA_DEMO_BS
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.iris import iris_kafka_service
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from tests.support.brokers import APACHE_KAFKA, TANSU, Broker
from tests.support.kafka import produce
from tests.support.storage import stored_rows

SERVICE = "EnsLib.Kafka.Service"


@pytest.fixture
def config(broker: Broker, topics: dict[str, str], database: Path) -> LocalConfig:
    return LocalConfig(
        db_url=f"sqlite:///{database}",
        bootstrap=broker.bootstrap,
        topic=topics["topic"],
        dlq_topic=topics["dlq_topic"],
        group_id=f"stop-order-{topics['topic']}",
    )


@pytest.fixture
def group_role_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time the stop order asked a consumer for its role (the private `_is_leader`)."""
    calls: list[str] = []
    real = iris_kafka_service.group_role

    def recorded(consumer: Any) -> Any:
        role = real(consumer)
        calls.append(role)
        return role

    monkeypatch.setattr(iris_kafka_service, "group_role", recorded)
    return calls


@pytest.fixture
def run_local(config: LocalConfig) -> Iterator[Callable[[], LocalRuntime]]:
    running: list[LocalRuntime] = []

    def start() -> LocalRuntime:
        runtime = LocalRuntime(config)
        runtime.start()
        running.append(runtime)
        return runtime

    yield start
    for runtime in running:
        if runtime.production is not None and runtime.production.items:
            runtime.stop()


def both_consumers_assigned(runtime: LocalRuntime) -> bool:
    production = runtime.production
    assert production is not None
    consumer = production.component(KAFKA_DEMO_BS)._consumer
    service = production.standins[SERVICE]
    return bool(consumer is not None and consumer.assignment() and service.partitions)


def wait_for(done: Callable[[], bool], timeout: float) -> float:
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not reached within {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


def products(names: list[str]) -> list[bytes]:
    return [f'{{"name": "{name}", "price": 1}}'.encode() for name in names]


def test_the_leader_first_stop_order_runs_only_against_tansu(
    broker: Broker,
    run_local: Callable[[], LocalRuntime],
    group_role_calls: list[str],
    database: Path,
    topics: dict[str, str],
) -> None:
    runtime = run_local()
    assert runtime.production is not None
    wait_for(lambda: both_consumers_assigned(runtime), timeout=30)
    names = [f"order {i:02d}" for i in range(20)]
    produce(broker.bootstrap, topics["topic"], products(names), [i % 2 for i in range(20)])
    wait_for(lambda: len(stored_rows(database)) >= len(names), timeout=30)

    runtime.stop()

    assert runtime.leader_leaves_first is (broker.kind == TANSU)
    if broker.kind == TANSU:
        assert group_role_calls  # the stand-in was asked whether it leads
    else:
        assert group_role_calls == []
    assert Counter(name for name, _ in stored_rows(database)) == Counter(dict.fromkeys(names, 1))


@pytest.mark.parametrize("broker", [APACHE_KAFKA], indirect=True)
def test_on_apache_kafka_restarts_in_plain_order_rejoin_at_once_and_store_once(
    broker: Broker,
    run_local: Callable[[], LocalRuntime],
    database: Path,
    topics: dict[str, str],
) -> None:
    """Three stop/start cycles with the consumers stopped in plain order: each time both get
    partitions again within seconds, and every record is stored once."""
    names: list[str] = []
    rejoin_seconds = []
    for cycle in range(3):
        runtime = run_local()
        rejoin_seconds.append(wait_for(lambda rt=runtime: both_consumers_assigned(rt), 30))
        batch = [f"cycle {cycle} record {i:02d}" for i in range(10)]
        names += batch
        produce(broker.bootstrap, topics["topic"], products(batch), [i % 2 for i in range(10)])
        expected = len(names)
        wait_for(lambda n=expected: len(stored_rows(database)) >= n, timeout=30)
        runtime.stop()

    print(f"\nREJOIN broker={broker.kind} seconds={[round(s, 1) for s in rejoin_seconds]}")
    assert max(rejoin_seconds) < 10
    assert Counter(name for name, _ in stored_rows(database)) == Counter(dict.fromkeys(names, 1))
