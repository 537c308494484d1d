"""A consumer of the local mode whose thread stalls while its group rebalances keeps its place.

A member joins a rebalance again only from its own poll, and the broker waits for it at most
the group's rebalance timeout (the members' max_poll_interval_ms). The local mode keeps that
at 3 s on Tansu, which holds every join that long, and gives Apache Kafka 10 s: with 3 s, a
member whose thread did not run for a few seconds on a loaded machine was evicted, its next
join started another rebalance, and a test waiting 30 s for the group to settle timed out.
"""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer

from kafka_demo.defaults import KAFKA_DEMO_BS
from kafka_demo.local_mode.config import TANSU_REBALANCE_TIMEOUT_MS, LocalConfig
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from tests.support.brokers import APACHE_KAFKA, Broker
from tests.support.kafka import both_doors_assigned, polling_member

STALL_S = 6.0
"""Twice the rebalance timeout the local mode gave Apache Kafka before."""


@pytest.fixture
def runtime(broker: Broker, topics: dict[str, str], database: Path) -> Iterator[LocalRuntime]:
    started = LocalRuntime(
        LocalConfig(
            db_url=f"sqlite:///{database}",
            bootstrap=broker.bootstrap,
            topic=topics["topic"],
            dlq_topic=topics["dlq_topic"],
            group_id=f"stall-{topics['topic']}",
        )
    )
    started.start()
    yield started
    started.stop()


def wait_for(done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not reached within {timeout:.0f} s"
        time.sleep(0.1)


def stable_members(bootstrap: str, group: str) -> set[str]:
    """The member ids of the group once it is stable (no rebalance under way); else none."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        described = admin.describe_groups([group])[group]
    finally:
        admin.close()
    if described["group_state"] != "Stable":
        return set()
    return {member["member_id"] for member in described["members"]}


def stall_next_poll(runtime: LocalRuntime) -> threading.Event:
    """KafkaDemoBS's next poll sleeps STALL_S first, as a thread starved of CPU would; the
    event is set once the stall has begun."""
    assert runtime.production is not None
    bs: Any = runtime.production.component(KAFKA_DEMO_BS)
    poll_once = bs._poll_once
    stalled = threading.Event()

    def stalling(timeout_ms: int) -> Any:
        if not stalled.is_set():
            stalled.set()
            time.sleep(STALL_S)
        return poll_once(timeout_ms)

    bs._poll_once = stalling
    return stalled


@pytest.mark.parametrize("broker", [APACHE_KAFKA], indirect=True)
def test_on_apache_kafka_a_member_stalled_during_a_rebalance_is_not_evicted(
    broker: Broker, runtime: LocalRuntime, topics: dict[str, str]
) -> None:
    group = f"stall-{topics['topic']}"
    assert runtime.production is not None
    wait_for(lambda: both_doors_assigned(runtime.production), 60)
    wait_for(lambda: len(stable_members(broker.bootstrap, group)) == 2, 30)
    before = stable_members(broker.bootstrap, group)

    stall_next_poll(runtime).wait(30)
    with polling_member(newcomer(broker.bootstrap, topics["topic"], group)):
        # Two partitions, three members: one of them holds none.
        wait_for(lambda: len(stable_members(broker.bootstrap, group)) == 3, 60)
        after = stable_members(broker.bootstrap, group)

    assert before < after, "both members of the local mode kept their place in the group"
    assert len(after) == 3
    assert runtime.max_poll_interval_ms > STALL_S * 1000


def newcomer(bootstrap: str, topic: str, group: str) -> KafkaConsumer:
    """A third member of the group, with the short rebalance timeout the local mode gave
    Apache Kafka before: the group's is the longest of its members'."""
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        max_poll_interval_ms=TANSU_REBALANCE_TIMEOUT_MS,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        enable_auto_commit=False,
    )
