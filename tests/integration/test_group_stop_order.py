"""Both Kafka consumers of the local mode (KafkaDemoBS and the EnsLib.Kafka.Service stand-in)
in one group, stopped and restarted on each broker.

A difference between the brokers: Tansu keeps a leader that left a rebalancing group as the
leader of its next generation, so the local mode stops the group's leader first, reading
kafka-python's private `_is_leader` (runtime.stop_production). Apache Kafka elects the next
leader among the members that join, so there the workaround must not run at all; there the
consumers leave together, since a member's leave waits behind its pending join.
"""

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from kafka.coordinator.base import MemberState

from kafka_demo.defaults import IRIS_KAFKA_SERVICE, KAFKA_DEMO_BS
from kafka_demo.kafka_io.clients import open_consumer
from kafka_demo.local_mode.config import KAFKA_REBALANCE_TIMEOUT_MS, LocalConfig
from kafka_demo.local_mode.iris import iris_kafka_service
from kafka_demo.local_mode.iris.iris_kafka_service import IrisKafkaService
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.iris.runtime import LocalRuntime, stop_production
from tests.support.brokers import APACHE_KAFKA, TANSU, Broker
from tests.support.kafka import both_doors_assigned, poll_until, polling_member, produce
from tests.support.storage import stored_rows

GROUP_LOGGERS = {"kafka.coordinator", "kafka.coordinator.consumer", "kafka.coordinator.heartbeat"}
"""What kafka-python logs a group's joins, leaves, commits and heartbeats on."""


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


def production_of(runtime: LocalRuntime) -> LocalProduction:
    assert runtime.production is not None
    return runtime.production


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
    wait_for(lambda: both_doors_assigned(production_of(runtime)), timeout=30)
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
def test_on_apache_kafka_restarts_with_the_consumers_leaving_together_rejoin_at_once_and_store_once(
    broker: Broker,
    run_local: Callable[[], LocalRuntime],
    database: Path,
    topics: dict[str, str],
) -> None:
    """Three stop/start cycles with the consumers leaving together: each time both get
    partitions again within seconds, and every record is stored once."""
    names: list[str] = []
    rejoin_seconds = []
    for cycle in range(3):
        runtime = run_local()
        rejoin_seconds.append(wait_for(partial(both_doors_assigned, production_of(runtime)), 30))
        batch = [f"cycle {cycle} record {i:02d}" for i in range(10)]
        names += batch
        produce(broker.bootstrap, topics["topic"], products(batch), [i % 2 for i in range(10)])
        expected = len(names)
        wait_for(lambda n=expected: len(stored_rows(database)) >= n, timeout=30)
        runtime.stop()

    print(f"\nREJOIN broker={broker.kind} seconds={[round(s, 1) for s in rejoin_seconds]}")
    assert max(rejoin_seconds) < 10
    assert Counter(name for name, _ in stored_rows(database)) == Counter(dict.fromkeys(names, 1))


def rejoining(consumer: Any) -> bool:
    """Whether the consumer has sent its JoinGroup for a rebalance and waits for the answer
    (kafka-python tells it only in its coordinator's private state)."""
    return consumer._coordinator.state is MemberState.REBALANCING


@pytest.mark.parametrize("broker", [APACHE_KAFKA], indirect=True)
def test_on_apache_kafka_a_stop_during_a_rebalance_leaves_the_group_at_once_and_quietly(
    start_with_iris_adapter: Callable[..., LocalProduction],
    production_settings: dict[str, dict[str, Any]],
    broker: Broker,
    topics: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Apache Kafka answers a member's LeaveGroup only after its pending JoinGroup, and holds
    a join until every member has joined again or has gone. Here a third consumer's join
    starts a rebalance; the stand-in, which polls all the time, joins again, and KafkaDemoBS,
    whose polls have stopped (the local mode's stop stops them first), has not. Closed one
    after the other, the stand-in first, its leave waited behind its join until KafkaDemoBS
    went on its own poll timeout (a WARNING from kafka-python) or was evicted (its LeaveGroup
    then refused, an ERROR): seconds of stop, and noise. Halted, then closed together, both
    leave at once, and the group's third member gets every partition."""
    production = start_with_iris_adapter()
    service = production.standins[IRIS_KAFKA_SERVICE]
    assert isinstance(service, IrisKafkaService)
    bs = production.component(KAFKA_DEMO_BS)
    poll_until(production, lambda: both_doors_assigned(production), timeout=60)
    third_member = open_consumer(
        kafka_broker=broker.bootstrap,
        topic=topics["topic"],
        group_id=production_settings[KAFKA_DEMO_BS]["group_id"],
        max_poll_interval_ms=KAFKA_REBALANCE_TIMEOUT_MS,
        max_poll_records=10,
    )

    with polling_member(third_member):
        wait_for(lambda: rejoining(service._consumer), timeout=10)
        assert not rejoining(bs._consumer)
        caplog.clear()
        caplog.set_level(logging.WARNING, logger="kafka.coordinator")
        started = time.monotonic()
        stop_production(production, production.standins, leader_leaves_first=False)
        stop_seconds = time.monotonic() - started
        wait_for(lambda: len(third_member.assignment()) == 2, timeout=10)

    print(f"\nSTOP during a rebalance: {stop_seconds:.1f} s")
    assert stop_seconds < 3
    assert [
        f"{record.levelname} {record.getMessage()}"
        for record in caplog.records
        if record.name in GROUP_LOGGERS and record.levelno >= logging.WARNING
    ] == []
