"""`kafka-demo produce` and `kafka-demo dlq`: one clear line for every mistake, poison to watch."""

import re
import sys
import time
from collections.abc import Iterator

import pytest

from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics
from tests.support.kafka import read_topic
from tests.support.local_process import LocalProcess, kafka_demo


@pytest.fixture(scope="module")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as started:
        create_topics(started.bootstrap, {"kafka_demo": 2, "kafka_demo.dlq": 1})
        yield started


@pytest.mark.parametrize(
    ("name", "price", "message"),
    [
        ("apple", "-1", "price must not be negative"),
        ("apple", "nan", "price must be a finite number"),
        ("apple", "abc", "price must be a number, not 'abc'"),
        ("apple", "123456789", "price must have at most 8 digits before the decimal point"),
        ("apple", "1.234", "price must have at most 2 decimal places"),
        ("", "1", "name must not be blank"),
        ("  ", "1", "name must not be blank"),
    ],
)
def test_a_bad_value_gets_one_line_and_exit_2(name: str, price: str, message: str) -> None:
    # No broker is needed: the values are checked before anything connects.
    result = kafka_demo(
        "produce", f"--name={name}", f"--price={price}", "--bootstrap", f"127.0.0.1:{free_port()}"
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"kafka-demo produce: {message}"]
    assert result.stdout == ""


def test_without_a_broker_it_fails_within_seconds_saying_how_to_start_one() -> None:
    silent = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = kafka_demo("produce", "--name", "apple", "--price", "1", "--bootstrap", silent)
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"kafka-demo produce: no Kafka broker answers at {silent}; start one with"
        " `kafka-demo local` (or name a running one with --bootstrap HOST:PORT)"
    ]


def test_a_normal_produce_prints_where_it_went_and_nothing_else(broker: EmbeddedBroker) -> None:
    result = kafka_demo(
        "produce", "--name", "apple", "--price", "10.5", "--count", "2",
        "--bootstrap", broker.bootstrap,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "started Python.KafkaDemoBO" or any other log line
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("sent to kafka_demo[") for line in lines)
    values = [r.value for r in read_topic(broker.bootstrap, "kafka_demo", expected=2)]
    assert values.count(b'{"name": "apple", "price": 10.5}') == 2


def test_raw_sends_the_bytes_as_they_are(broker: EmbeddedBroker) -> None:
    result = kafka_demo("produce", "--raw", "\\xff\\xfe raw \\\\", "--bootstrap", broker.bootstrap)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sent 8 byte(s) to kafka_demo[")
    values = [r.value for r in read_topic(broker.bootstrap, "kafka_demo", expected=3)]
    assert b"\xff\xfe raw \\" in values


def test_every_record_gets_a_key_of_its_own_unless_raw_asks_for_none(
    broker: EmbeddedBroker,
) -> None:
    """A record's key is its identity on both Kafka doors: no two records share one."""
    for args in (
        ("--name", "keyed", "--price", "1", "--count", "2"),
        ("--raw", "keyed raw", "--count", "2"),
        ("--raw", "keyless raw", "--no-key"),
    ):
        result = kafka_demo("produce", *args, "--bootstrap", broker.bootstrap)
        assert result.returncode == 0, result.stderr
    records = read_topic(broker.bootstrap, "kafka_demo", expected=sys.maxsize, timeout=5)
    keys = {r.value: [] for r in records}
    for record in records:
        keys[record.value].append(record.key)
    keyed = keys[b'{"name": "keyed", "price": 1.0}'] + keys[b"keyed raw"]
    assert len(keyed) == len(set(keyed)) == 4 and None not in keyed
    assert keys[b"keyless raw"] == [None]


def test_raw_with_a_key_sends_every_record_under_that_key(broker: EmbeddedBroker) -> None:
    """An entity's successive states under one key, as an ordinary producer sends them."""
    for price in ("5", "6"):
        value = f'{{"name": "sku", "price": {price}}}'
        result = kafka_demo(
            "produce", "--raw", value, "--key", "sku-42", "--bootstrap", broker.bootstrap
        )
        assert result.returncode == 0, result.stderr
    records = read_topic(broker.bootstrap, "kafka_demo", expected=sys.maxsize, timeout=5)
    assert [r.value for r in records if r.key == b"sku-42"] == [
        b'{"name": "sku", "price": 5}',
        b'{"name": "sku", "price": 6}',
    ]


@pytest.mark.parametrize("flag", [("--no-key",), ("--key", "sku-42")])
def test_key_and_no_key_go_only_with_raw(flag: tuple[str, ...]) -> None:
    result = kafka_demo("produce", "--name", "apple", "--price", "1", *flag)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "kafka-demo produce: error: --key and --no-key go with --raw: KafkaDemoBO gives every"
        " record a key of its own"
    )


def test_key_and_no_key_are_not_given_together() -> None:
    result = kafka_demo("produce", "--raw", "x", "--key", "k", "--no-key")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "kafka-demo produce: error: --key and --no-key: give one of them"
    )


def test_name_and_price_are_required_without_raw() -> None:
    result = kafka_demo("produce", "--name", "apple")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith("usage: kafka-demo produce")
    assert result.stderr.splitlines()[-1] == (
        "kafka-demo produce: error: --name and --price are required"
        " (or --raw to send bytes as they are)"
    )


def test_a_poison_record_is_watched_from_produce_to_dlq_and_trace(
    local: LocalProcess, db_url: str
) -> None:
    local.start()
    try:
        sent = kafka_demo("produce", "--raw", '{"name": "x", "price": -3}', "--bootstrap",
                          local.bootstrap)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        dlq = _wait_for_dead_letters(local.bootstrap, 1)
    finally:
        assert local.stop() == 0
    assert dlq.returncode == 0, dlq.stderr
    lines = dlq.stdout.splitlines()
    assert lines[0] == "the last 1 of 1 dead letter(s) in kafka_demo.dlq, newest first"
    # Read by KafkaDemoBS, at its partition and offset 0; or by EnsLib.Kafka.Service, whose
    # message has neither.
    assert re.fullmatch(
        r"kafka_demo\.dlq\[0\]@0  from kafka_demo(\[[01]\]@0| \(partition and offset not"
        r" given by the IRIS adapter\))  26 byte\(s\)",
        lines[2],
    ), lines[2]
    assert re.fullmatch(r"    key: [0-9a-f-]{36}", lines[3]), lines[3]  # produce keys each record
    assert lines[4] == "    reason: price must not be negative"
    assert lines[5] == """    value: b'{"name": "x", "price": -3}'"""

    trace = kafka_demo("trace", "--db", db_url)
    assert trace.returncode == 0, trace.stderr
    assert "      dead letter: price must not be negative" in trace.stdout.splitlines()
    assert "  Dead-lettered" in trace.stdout


def _wait_for_dead_letters(bootstrap: str, count: int, timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = kafka_demo("dlq", "--bootstrap", bootstrap)
        if f"of {count} dead letter(s)" in result.stdout or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_dlq_without_a_broker_says_so() -> None:
    silent = f"127.0.0.1:{free_port()}"
    result = kafka_demo("dlq", "--bootstrap", silent)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"kafka-demo dlq: no Kafka broker answers at {silent}; start one with"
        " `kafka-demo local` (or name a running one with --bootstrap HOST:PORT)"
    ]


def test_raw_with_a_name_or_price_is_refused() -> None:
    for extra in (["--name", "a"], ["--price", "1"]):
        silent = f"127.0.0.1:{free_port()}"
        result = kafka_demo("produce", "--raw", "x", *extra, "--bootstrap", silent)
        assert result.returncode == 2
        assert result.stderr.splitlines()[-1] == (
            "kafka-demo produce: error: --raw sends bytes as they are:"
            " give it without --name and --price"
        )
        assert result.stdout == ""
