"""`kafka-demo local` end to end, as a newcomer uses it: HTTP, Kafka, products, trace, restart."""

import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from kafka import KafkaProducer

from kafka_demo import defaults
from kafka_demo.local_mode.broker.ports import accepts
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker
from kafka_demo.local_mode.iris.runtime import load_production
from tests.support.kafka import produce, read_topic
from tests.support.local_process import LocalProcess, http, kafka_demo

VALID_HTTP = [
    {"name": "curl product", "price": 10},
    {"name": "caf\u00e9 \U0001f600", "price": 10.5},
]
VALID_KAFKA = [b'{"name": "kafka one", "price": 1.25}', b'{"name": "kafka two", "price": 2}']
POISON_KAFKA = [b"\xff\xfe not utf-8", b'{"name": "neg", "price": -1}', b"[]"]


def product_rows(db_url: str) -> list[dict[str, str]]:
    """`kafka-demo products` output, cut at the header's column positions (names hold spaces)."""
    header, _, *lines = kafka_demo("products", "--db", db_url).stdout.splitlines()[:-1]
    names = header.split()
    starts = [header.index(name) for name in names]
    ends = starts[1:] + [None]
    return [
        {
            name: line[start:end].strip()
            for name, start, end in zip(names, starts, ends, strict=True)
        }
        for line in lines
    ]


def products(db_url: str) -> list[tuple[str, str]]:
    return sorted((row["name"], row["price"]) for row in product_rows(db_url))


def wait_for_products(db_url: str, count: int, timeout: float = 30) -> list[tuple[str, str]]:
    deadline = time.monotonic() + timeout
    while (found := products(db_url)) and len(found) < count or not found:
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    return found


def test_a_newcomer_sees_http_and_kafka_products_stored_traced_and_dead_lettered(
    local: LocalProcess, db_url: str
) -> None:
    ready = local.start()
    assert ready < 10

    answers = [http("POST", f"{local.url}/kafka", body) for body in VALID_HTTP]
    assert [status for status, _ in answers] == [200, 200]
    assert all(body["message"] == "Message sent to KafkaDemoBP" for _, body in answers)
    assert http("POST", f"{local.url}/kafka", {"name": "bad", "price": -1}) == (
        400,
        {"error": "price must not be negative", "field": "price"},
    )
    produce(local.bootstrap, defaults.TOPIC, VALID_KAFKA + POISON_KAFKA)

    stored = wait_for_products(db_url, 4)
    assert stored == sorted(
        [
            ("curl product", "10.00"),
            ("caf\u00e9 \U0001f600", "10.50"),
            ("kafka one", "1.25"),
            ("kafka two", "2.00"),
        ]
    )
    letters = read_topic(local.bootstrap, defaults.DLQ_TOPIC, expected=len(POISON_KAFKA))
    assert sorted(letter.value for letter in letters) == sorted(POISON_KAFKA)
    assert {dict(letter.headers)["dlq.reason"] for letter in letters} == {
        b"payload is not valid UTF-8 (byte 0: b'\\xff')",
        b"price must not be negative",
        b"payload must be a JSON object, not an array",
    }

    sessions = traced_sessions(kafka_demo("trace", "--db", db_url, "--last", "20").stdout)
    stored_by_http = [
        ("KafkaRestBS", "KafkaDemoBP", "KafkaRawMessage"),
        ("KafkaDemoBP", "LocalStorageBO", "*"),
        ("LocalStorageBO", "KafkaDemoBP", "ProductStored"),
        ("KafkaDemoBP", "KafkaRestBS", "ProductStored"),
    ]
    # Either Kafka consumer of the group may have read a record: its door is "kafka" here.
    stored_by_kafka = [("kafka", "KafkaDemoBP"), *stored_by_http[1:3]]
    dead_lettered = [
        ("kafka", "KafkaDemoBP"),
        ("KafkaDemoBP", "KafkaDemoBO", "KafkaDeadLetterMessage"),
        ("KafkaDemoBO", "KafkaDemoBP", "KafkaRecordSent"),
    ]
    refused_at_the_door = [
        ("HTTP client", "REST door", "POST /kafka", "Rejected"),
        ("REST door", "HTTP client", "HTTP 400 Bad Request", "Completed"),
    ]
    assert [hops for hops in sessions if hops[0][0] == "HTTP client"] == [refused_at_the_door]
    shapes = sorted(tuple(_shape(hops)) for hops in sessions if hops[0][0] != "HTTP client")
    assert shapes == sorted(
        [tuple(stored_by_http)] * 2 + [tuple(stored_by_kafka)] * 2 + [tuple(dead_lettered)] * 3
    )
    page = http_text(f"{local.url}/messages")
    statuses = re.findall(
        r'<tr class="session[^"]*"\s+data-session="\d+" data-status="([^"]+)"', page
    )
    assert sorted(statuses) == sorted(["Completed"] * 4 + ["Dead-lettered"] * 3 + ["Rejected"])
    first_http = http_text(f"{local.url}/messages?source=Python.KafkaRestBS")
    assert "caf\u00e9" in first_http

    assert local.stop() == 0
    assert not local.group_alive()
    assert not accepts("127.0.0.1", local.broker_port)


def traced_sessions(output: str) -> list[list[tuple[str, ...]]]:
    """`kafka-demo trace` output, as hops (source, target, message, status) per session."""
    sessions: list[list[tuple[str, ...]]] = []
    for line in output.splitlines():
        if line.startswith("session "):
            sessions.append([])
        elif line.startswith("  +"):
            _, hop, message, status = [cell.strip() for cell in line.split("  ") if cell.strip()]
            source, target = hop.split(" -> ")
            sessions[-1].append((source, target, message, status))
    return sessions


KAFKA_DOORS = {("KafkaDemoBS", "KafkaRawMessage"), ("EnsLib.Kafka.Service", "EnsLib.Kafka.Message")}
"""The two consumers of the topic, and the message each hands the BP."""


def _shape(hops: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    assert all(hop[3] == "Completed" for hop in hops), hops
    shape = [
        (s, t, "*" if m.startswith("Product") and m != "ProductStored" else m)
        for s, t, m, _ in hops
    ]
    source, target, message = shape[0]
    if (source, message) in KAFKA_DOORS:
        shape[0] = ("kafka", target)
    return shape


def http_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_restart_on_the_same_database_neither_loses_nor_stores_twice(
    db_url: str, tmp_path: Path
) -> None:
    with EmbeddedBroker() as broker:
        first = LocalProcess(db_url, tmp_path / "first.log", bootstrap=broker.bootstrap)
        first.start()
        produce(
            broker.bootstrap,
            defaults.TOPIC,
            [f'{{"name": "r{i}", "price": {i}}}'.encode() for i in range(5)],
        )
        assert len(wait_for_products(db_url, 5)) == 5
        assert first.stop() == 0

        produce(broker.bootstrap, defaults.TOPIC, [b'{"name": "while stopped", "price": 7}'])
        second = LocalProcess(db_url, tmp_path / "second.log", bootstrap=broker.bootstrap)
        second.start()
        produce(broker.bootstrap, defaults.TOPIC, [b'{"name": "after restart", "price": 8}'])
        stored = wait_for_products(db_url, 7)
        time.sleep(2)  # a record handed over twice would show up by now
        stored = products(db_url)
        assert second.stop() == 0

    expected = [(f"r{i}", f"{Decimal(i):.2f}") for i in range(5)]
    assert stored == sorted(expected + [("while stopped", "7.00"), ("after restart", "8.00")])


def test_a_new_embedded_broker_starts_from_its_own_offsets(
    local: LocalProcess, db_url: str, tmp_path: Path
) -> None:
    local.start()
    produce(local.bootstrap, defaults.TOPIC, [b'{"name": "first broker", "price": 1}'])
    assert wait_for_products(db_url, 1) == [("first broker", "1.00")]
    assert local.stop() == 0

    again = LocalProcess(db_url, tmp_path / "again.log")
    again.start()
    produce(again.bootstrap, defaults.TOPIC, [b'{"name": "second broker", "price": 2}'])
    assert wait_for_products(db_url, 2) == [("first broker", "1.00"), ("second broker", "2.00")]
    assert again.stop() == 0


def test_both_kafka_consumers_and_all_three_routes_store_each_record_once(
    local: LocalProcess, db_url: str
) -> None:
    local.start()
    count = 90
    names = [f"many {index:03d}" for index in range(count)]
    producer = KafkaProducer(bootstrap_servers=local.bootstrap, acks="all")
    for index, name in enumerate(names):
        # Both partitions, over a few seconds: the group's two consumers share them.
        producer.send(
            "kafka_demo", f'{{"name": "{name}", "price": 1}}'.encode(), partition=index % 2
        )
        time.sleep(0.05)
    producer.flush()
    producer.close()

    log = local.log_path.read_text()
    for item in load_production().items:
        assert f"started {item.name} (" in log
    for iris_class in ("EnsLib.Kafka.Service", "User.product"):
        assert f"started {iris_class} (stand-in for the IRIS class {iris_class})" in log
    assert "not run in the local mode" not in log

    wait_for_products(db_url, count, timeout=60)
    rows = product_rows(db_url)
    sessions = traced_sessions(kafka_demo("trace", "--db", db_url, "--last", str(count)).stdout)
    assert local.stop() == 0

    assert sorted(row["name"] for row in rows) == names
    assert {row["route"] for row in rows} == {"sql", "iris", "sqlalchemy"}
    assert {(hops[0][0], hops[0][2]) for hops in sessions} == KAFKA_DOORS


@pytest.mark.parametrize(
    ("disabled", "door"),
    [
        (defaults.IRIS_KAFKA_SERVICE, ("KafkaDemoBS", "KafkaRawMessage")),
        (defaults.KAFKA_DEMO_BS, ("EnsLib.Kafka.Service", "EnsLib.Kafka.Message")),
    ],
)
def test_with_one_kafka_door_disabled_the_other_stores_both_partitions(
    disabled: str, door: tuple[str, str], db_url: str, tmp_path: Path
) -> None:
    local = LocalProcess(db_url, tmp_path / "local.log", options=("--disable", disabled))
    local.start()
    try:
        names = [f"one door {index}" for index in range(10)]
        producer = KafkaProducer(bootstrap_servers=local.bootstrap, acks="all")
        for index, name in enumerate(names):
            value = f'{{"name": "{name}", "price": 1}}'.encode()
            producer.send(defaults.TOPIC, value, partition=index % 2)
        producer.flush()
        producer.close()
        stored = wait_for_products(db_url, len(names), timeout=60)
        sessions = traced_sessions(kafka_demo("trace", "--db", db_url, "--last", "10").stdout)
    finally:
        assert local.stop() == 0
    log = local.log_path.read_text()
    assert f"not run in the local mode: {disabled} (disabled with --disable)" in log
    assert f"started {disabled} (" not in log
    assert sorted(name for name, _ in stored) == names
    assert {(hops[0][0], hops[0][2]) for hops in sessions} == {door}
