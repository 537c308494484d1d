"""The in-process router: delivery through IoP's dispatch, the trace, failures as in IRIS."""

import json
import logging
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from iop.messages.dispatch import dispatch_serializer

import settings
from kafka_demo import storage
from kafka_demo.defaults import KAFKA_DEMO_BO, KAFKA_DEMO_BP, KAFKA_DEMO_BS, LOCAL_STORAGE_BO
from kafka_demo.local_mode.iris.iris_kafka_service import GroupRole
from kafka_demo.local_mode.iris.router import DeliveryError, LocalProduction
from kafka_demo.local_mode.iris.runtime import stop_production
from kafka_demo.local_mode.trace.vocabulary import MemoryTrace
from kafka_demo.msg import KafkaRawMessage, ProductSQLMessage, RecordOrigin

KAFKA_ITEMS = {KAFKA_DEMO_BS: "no broker here", KAFKA_DEMO_BO: "no broker here"}


class TraceThatCannotBeKept(MemoryTrace):
    """A trace whose store fails when a session ends (its database locked, say)."""

    def end_session(self, session_id: int) -> None:
        raise RuntimeError("database is locked")


def start(tmp_path: Path, trace: MemoryTrace | None = None, **skip: str) -> LocalProduction:
    production = LocalProduction(
        settings.PRODUCTIONS[0],
        settings={
            LOCAL_STORAGE_BO: {"connection_string": f"sqlite:///{tmp_path / 'p.db'}"},
            KAFKA_DEMO_BP: {"storage_routes": "sql"},
        },
        skip={**KAFKA_ITEMS, **skip},
        trace=trace,
    )
    production.start()
    return production


def record(name: str) -> Any:
    raw = f'{{"name": "{name}", "price": 1}}'.encode()
    return dispatch_serializer(
        KafkaRawMessage.from_record(raw, RecordOrigin(topic="kafka_demo", partition=0, offset=1))
    )


def rows(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "p.db") as connection:
        return [name for (name,) in connection.execute("SELECT name FROM product")]


def test_items_not_run_here_are_listed_with_why(tmp_path: Path) -> None:
    production = start(tmp_path)
    assert {item.name: item.reason for item in production.skipped} == {
        **KAFKA_ITEMS,
        "EnsLib.Kafka.Service": "EnsLib.Kafka.Service is an IRIS class; it runs only in IRIS",
    }
    assert set(production.items) == {
        "Python.KafkaDemoBP",
        "Python.LocalStorageBO",
        "Python.KafkaRestBS",
    }


def test_settings_reach_components_as_the_strings_iris_hands_over(tmp_path: Path) -> None:
    production = start(tmp_path)
    bp = production.component("Python.KafkaDemoBP")
    assert (bp.storage_routes, bp.Storage) == ("sql", "Python.LocalStorageBO")


def test_a_send_to_an_item_that_is_not_running_fails_like_iris(tmp_path: Path) -> None:
    production = start(tmp_path, **{"Python.KafkaDemoBP": "stopped"})
    with pytest.raises(
        DeliveryError, match="ErrBusinessDispatchNameNotRegistered: Python.KafkaDemoBP"
    ):
        production.deliver("Python.KafkaDemoBS", "Python.KafkaDemoBP", record("x"), sync=False)
    (request,) = production.trace.hops
    assert request.status == "Error"


def test_an_async_send_whose_target_fails_is_traced_as_an_error_not_raised(tmp_path: Path) -> None:
    production = start(tmp_path, **{"Python.LocalStorageBO": "stopped"})
    assert (
        production.deliver("Python.KafkaDemoBS", "Python.KafkaDemoBP", record("x"), sync=False)
        is None
    )
    (request,) = [hop for hop in production.trace.hops if hop.source == "Python.KafkaDemoBS"]
    assert request.status == "Error"
    assert "ErrBusinessDispatchNameNotRegistered: Python.LocalStorageBO" in request.error


def test_a_trace_that_cannot_be_kept_does_not_undo_a_delivery(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    production = start(tmp_path, trace=TraceThatCannotBeKept())
    with caplog.at_level(logging.ERROR, logger="kafka_demo.local_mode.iris.router"):
        production.deliver("Python.KafkaDemoBS", "Python.KafkaDemoBP", record("stored"), sync=False)
    assert rows(tmp_path) == ["stored"]  # the sender must not send it again
    assert "was delivered, but its trace was not kept: database is locked" in caplog.text


def test_a_failure_whose_trace_cannot_be_kept_is_reported_to_the_sender(tmp_path: Path) -> None:
    production = start(
        tmp_path, trace=TraceThatCannotBeKept(), **{"Python.LocalStorageBO": "stopped"}
    )
    with pytest.raises(DeliveryError, match="failed and its trace could not be kept"):
        production.deliver("Python.KafkaDemoBS", "Python.KafkaDemoBP", record("lost?"), sync=False)


def test_a_sync_send_returns_the_serialized_answer_and_traces_it(tmp_path: Path) -> None:
    production = start(tmp_path)
    message = dispatch_serializer(ProductSQLMessage(name="direct", price=Decimal("2.50")))
    answer = production.deliver(
        "EnsLib.Testing.Service", "Python.LocalStorageBO", message, sync=True
    )
    assert (answer.classname, answer.json) == (
        "kafka_demo.msg.ProductStored",
        '{"route":"sql","id":1}',
    )
    assert [(hop.source, hop.target, hop.kind, hop.status) for hop in production.trace.hops] == [
        ("EnsLib.Testing.Service", "Python.LocalStorageBO", "Request", "Completed"),
        ("Python.LocalStorageBO", "EnsLib.Testing.Service", "Response", "Completed"),
    ]


class GroupMemberStandIn:
    """A stand-in with a Kafka consumer: notes which items still ran when it was stopped."""

    def __init__(self, production: LocalProduction, role: GroupRole) -> None:
        self.production = production
        self.role = role
        self.items_running_at_stop: set[str] | None = None

    def start(self) -> None:
        pass

    def halt(self) -> None:
        pass

    def stop(self) -> None:
        self.items_running_at_stop = set(self.production.items)

    def group_role(self) -> GroupRole:
        return self.role


@pytest.mark.parametrize(
    ("role", "items_running_at_its_stop"),
    [
        ("leader", {"Python.KafkaDemoBP", "Python.LocalStorageBO", "Python.KafkaRestBS"}),
        ("follower", set()),
    ],
)
def test_the_consumer_group_leader_leaves_first_at_stop(
    tmp_path: Path, role: GroupRole, items_running_at_its_stop: set[str]
) -> None:
    standins: list[GroupMemberStandIn] = []

    def build(production: LocalProduction, ref: Any) -> GroupMemberStandIn:
        standins.append(GroupMemberStandIn(production, role))
        return standins[-1]

    production = LocalProduction(
        settings.PRODUCTIONS[0],
        settings={LOCAL_STORAGE_BO: {"connection_string": f"sqlite:///{tmp_path / 'p.db'}"}},
        skip=KAFKA_ITEMS,
        standins={"EnsLib.Kafka.Service": build},
    )
    production.start()
    stop_production(production, production.standins)
    (standin,) = standins
    assert standin.items_running_at_stop == items_running_at_its_stop
    assert production.items == {}


class Concurrency:
    """Wraps the raw SQL route: counts the inserts running at once, each held a moment."""

    def __init__(self, insert: Any) -> None:
        self._insert = insert
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.15)
            return self._insert(*args, **kwargs)
        finally:
            with self._lock:
                self.running -= 1


@pytest.mark.parametrize(("pool_size", "at_once"), [(None, 1), (1, 1), (3, 3)])
def test_a_process_and_an_operation_handle_as_many_messages_at_once_as_their_pool_size(
    pool_size: int | None, at_once: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four senders at once (the REST door's threads): PoolSize jobs, one message each."""
    concurrency = Concurrency(storage.insert_with_sql)
    monkeypatch.setattr(storage, "insert_with_sql", concurrency)
    sizes = {} if pool_size is None else {KAFKA_DEMO_BP: pool_size, LOCAL_STORAGE_BO: pool_size}
    url = f"sqlite:///{tmp_path / 'p.db'}"
    storage.open_engine(url).dispose()  # the table exists, as the local runtime makes it at start
    production = LocalProduction(
        settings.PRODUCTIONS[0],
        settings={
            LOCAL_STORAGE_BO: {"connection_string": url},
            KAFKA_DEMO_BP: {"storage_routes": "sql"},
        },
        skip=KAFKA_ITEMS,
        pool_sizes=sizes,
    )
    production.start()
    names = [f"sender {index}" for index in range(4)]

    def send(index: int) -> None:
        raw = json.dumps({"name": names[index], "price": 1}).encode()
        message = dispatch_serializer(
            KafkaRawMessage.from_record(
                raw, RecordOrigin(topic="kafka_demo", partition=0, offset=index)
            )
        )
        production.deliver("Python.KafkaRestBS", KAFKA_DEMO_BP, message, sync=True)

    senders = [threading.Thread(target=send, args=(index,)) for index in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=30)
    components = {
        name: {id(job.component) for job in production.items[name].jobs}
        for name in (KAFKA_DEMO_BP, LOCAL_STORAGE_BO)
    }
    production.stop()

    assert concurrency.most == at_once
    assert sorted(rows(tmp_path)) == names
    assert {name: len(objects) for name, objects in components.items()} == {
        KAFKA_DEMO_BP: at_once,
        LOCAL_STORAGE_BO: at_once,
    }
