"""`kafka-demo replay`: a Kafka input whose storage failed is stored once the database is back."""

import hashlib
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine

from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.database import trace_url
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.local_mode.viewer.pages import messages_blueprint
from tests.support.local_process import kafka_demo
from tests.support.local_runtime import hand_over, hand_over_as_iris_adapter, storage_outage


@pytest.mark.parametrize("door", [hand_over, hand_over_as_iris_adapter])
def test_replay_stores_what_failed_once_and_only_once(
    tmp_path: Path, door: Callable[[LocalRuntime, bytes, int], None]
) -> None:
    database = tmp_path / "kafka_demo.db"
    db_url = f"sqlite:///{database}"
    runtime = LocalRuntime(LocalConfig(db_url=db_url), poll=False)
    runtime.start()
    door(runtime, b'{"name": "stored", "price": 1}', 0)
    with storage_outage(database):
        door(runtime, b'{"name": "failed once", "price": 2}', 1)
    runtime.stop()

    first = kafka_demo("replay", "--db", db_url)
    second = kafka_demo("replay", "--db", db_url)

    assert first.returncode == 0, first.stderr
    assert "resent to Python.KafkaDemoBP" in first.stdout
    assert second.returncode == 0
    assert second.stdout == "nothing to replay: no Kafka input ended in an error\n"
    with sqlite3.connect(database) as connection:
        names = [name for (name,) in connection.execute("SELECT name FROM product ORDER BY id")]
    assert names == ["stored", "failed once"]


KEY = "5d0c6f9e-2b1a-4c3e-9f00-7a1b2c3d4e5f"


@pytest.mark.parametrize(
    ("first_door", "second_door"),
    [(hand_over, hand_over_as_iris_adapter), (hand_over_as_iris_adapter, hand_over)],
)
def test_a_keyed_record_read_through_both_kafka_doors_is_stored_once(
    tmp_path: Path,
    first_door: Callable[..., None],
    second_door: Callable[..., None],
) -> None:
    """One consumer hands a record over, a rebalance gives its partition to the other, which
    reads it again: the same key, so the same source, whichever door it came through."""
    database = tmp_path / "kafka_demo.db"
    runtime = LocalRuntime(LocalConfig(db_url=f"sqlite:///{database}"), poll=False)
    runtime.start()
    try:
        first_door(runtime, b'{"name": "keyed", "price": 3}', 7, key=KEY)
        second_door(runtime, b'{"name": "keyed", "price": 3}', 7, key=KEY)
        hand_over_as_iris_adapter(runtime, b'{"name": "keyless", "price": 4}', 8)
        hand_over_as_iris_adapter(runtime, b'{"name": "keyless", "price": 4}', 8)
    finally:
        runtime.stop()
    assert product_sources(database) == [
        ("keyed", key_source(KEY, b'{"name": "keyed", "price": 3}')),
        ("keyless", None),
        ("keyless", None),  # no key, no offset: as before, stored twice
    ]


def test_a_replayed_input_whose_record_was_stored_since_adds_no_row_and_links_its_resend(
    tmp_path: Path,
) -> None:
    """The storage fails for the IRIS adapter's copy of a keyed record; Kafka hands the record
    to KafkaDemoBS again (a rebalance), which stores it; the replay of the failed input then
    finds it stored, and the failed session links to the one that resent it."""
    database = tmp_path / "kafka_demo.db"
    db_url = f"sqlite:///{database}"
    runtime = LocalRuntime(LocalConfig(db_url=db_url), poll=False)
    runtime.start()
    with storage_outage(database):
        hand_over_as_iris_adapter(runtime, b'{"name": "twice read", "price": 2}', 0, key=KEY)
    hand_over(runtime, b'{"name": "twice read", "price": 2}', 0, key=KEY)
    runtime.stop()

    replayed = kafka_demo("replay", "--db", db_url)
    trace = kafka_demo("trace", "--db", db_url)

    assert replayed.returncode == 0, replayed.stderr
    resent = re.search(r"resent to Python\.KafkaDemoBP as session (\d+)", replayed.stdout)
    assert resent is not None, replayed.stdout
    assert "replayed 1 of 1 failed input(s)" in replayed.stdout
    assert product_sources(database) == [
        ("twice read", key_source(KEY, b'{"name": "twice read", "price": 2}'))
    ]
    new_session = int(resent.group(1))
    failed = re.search(r"session (\d+) .*Resent\n", trace.stdout)
    assert failed is not None, trace.stdout
    assert f"  resent as session {new_session}\n" in trace.stdout
    engine = create_engine(trace_url(db_url))
    try:
        app = Flask(__name__)
        app.register_blueprint(messages_blueprint(engine))
        html = app.test_client().get(f"/messages?session={failed.group(1)}").text
    finally:
        engine.dispose()
    assert re.search(rf'Resent as\s*<a href="[^"]*session={new_session}[^"]*">', html), html
    engine = create_engine(trace_url(db_url))
    try:
        app = Flask(__name__)
        app.register_blueprint(messages_blueprint(engine))
        back = app.test_client().get(f"/messages?session={new_session}").text
    finally:
        engine.dispose()
    assert re.search(rf'Resend of\s*<a href="[^"]*session={failed.group(1)}[^"]*">', back), back


@pytest.mark.parametrize("door", [hand_over, hand_over_as_iris_adapter])
def test_each_replay_resends_a_failed_input_once_and_links_its_failed_sessions(
    tmp_path: Path, door: Callable[..., None]
) -> None:
    """Three replays during an outage resend one input each time (not 1, 2, then 4), each from
    its latest failed session; the fourth, once the database is back, stores it once."""
    database = tmp_path / "kafka_demo.db"
    db_url = f"sqlite:///{database}"
    runtime = LocalRuntime(LocalConfig(db_url=db_url), poll=False)
    runtime.start()
    door(runtime, b'{"name": "first", "price": 1}', 0, key="sku-1")
    with storage_outage(database):
        door(runtime, b'{"name": "widget", "price": 5}', 1, key="sku-42")
        runtime.stop()
        replays = [kafka_demo("replay", "--db", db_url) for _ in range(3)]
    stored = kafka_demo("replay", "--db", db_url)
    trace = kafka_demo("trace", "--db", db_url, "--last", "20")

    sessions = []
    for replay in replays:
        assert replay.returncode == 1
        lines = replay.stdout.splitlines()
        assert lines[-1] == "replayed 0 of 1 failed input(s)"
        failed = re.fullmatch(
            r"message (\d+) \(session (\d+)\) failed again as session (\d+): "
            r"OperationalError - integer overflow",
            lines[0],
        )
        assert failed is not None, replay.stdout
        sessions.append((int(failed.group(2)), int(failed.group(3))))
    assert [again for _, again in sessions[:-1]] == [earlier for earlier, _ in sessions[1:]]
    assert stored.returncode == 0, stored.stdout
    assert stored.stdout.splitlines()[-1] == "replayed 1 of 1 failed input(s)"
    assert [name for name, _ in product_sources(database)] == ["first", "widget"]
    for earlier, again in sessions:
        assert f"  resent as session {again}\n" in trace.stdout
        assert f"  resend of session {earlier}\n" in trace.stdout
    headers = [line for line in trace.stdout.splitlines() if line.startswith("session ")]
    assert len(headers) == 6, trace.stdout  # two inputs, three failed resends, one stored
    assert [header.rsplit(maxsplit=1)[-1] for header in headers].count("Resent") == 4
    assert "Error" not in [header.rsplit(maxsplit=1)[-1] for header in headers], trace.stdout


@pytest.mark.parametrize(
    ("first_door", "second_door"),
    [(hand_over, hand_over_as_iris_adapter), (hand_over_as_iris_adapter, hand_over)],
)
def test_an_update_by_key_is_stored_and_the_same_record_again_is_not(
    tmp_path: Path, first_door: Callable[..., None], second_door: Callable[..., None]
) -> None:
    """`sku-42` at 5, at 6, then the record at 5 read again by the other door: two rows."""
    database = tmp_path / "kafka_demo.db"
    runtime = LocalRuntime(LocalConfig(db_url=f"sqlite:///{database}"), poll=False)
    runtime.start()
    five, six = b'{"name": "widget", "price": 5}', b'{"name": "widget", "price": 6}'
    try:
        first_door(runtime, five, 0, key="sku-42")
        first_door(runtime, six, 1, key="sku-42")
        second_door(runtime, five, 0, key="sku-42")
    finally:
        runtime.stop()
    with sqlite3.connect(database) as connection:
        rows = list(connection.execute("SELECT name, price, source FROM product ORDER BY id"))
    assert rows == [
        ("widget", 5, key_source("sku-42", five)),
        ("widget", 6, key_source("sku-42", six)),
    ]


def key_source(key: str, value: bytes) -> str:
    return f"kafka-key:kafka_demo/{key}/{hashlib.sha256(value).hexdigest()}"


def product_sources(database: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute("SELECT name, source FROM product ORDER BY id"))
