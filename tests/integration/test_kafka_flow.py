"""Records through a real broker and the production wired by settings.py, into a real table."""

import contextlib
import json
import os
import re
import signal
import sqlite3
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import (
    CommitFailedError,
    KafkaTimeoutError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)

from kafka_demo import bo, rules
from kafka_demo.bo import KafkaDemoBO
from kafka_demo.bs import KafkaDemoBS
from kafka_demo.defaults import KAFKA_DEMO_BO, KAFKA_DEMO_BP, KAFKA_DEMO_BS
from kafka_demo.kafka_io.clients import (
    MIN_SESSION_TIMEOUT_MS,
    RECORD_OVERHEAD_BYTES,
    LogIdentity,
    RecordLimits,
    fetch_log_identity,
)
from kafka_demo.kafka_io.consuming import HandOffFailed
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.msg import KafkaRecordSent, KafkaTestMessage
from tests.support.hosts import build_component
from tests.support.kafka import (
    committed_offsets,
    log_end_offsets,
    poll_until,
    produce,
    read_topic,
)
from tests.support.storage import stored_rows


def skipped_as_already_handed_over(iris: IrisStandIn) -> int:
    """The records KafkaDemoBS's polls skipped, summed from its event log lines."""
    lines = iris.event_log.texts("Info")
    return sum(int(match) for line in lines for match in SKIPPED.findall(line))


SKIPPED = re.compile(r"skipped (\d+) already handed over")


def handed_over(iris: IrisStandIn) -> int:
    """The records KafkaDemoBS's polls handed over, summed from its event log lines."""
    lines = iris.event_log.texts("Info")
    return sum(int(match) for line in lines for match in HANDED_OVER.findall(line))


HANDED_OVER = re.compile(r"Handed over (\d+) record")


def assert_the_group_committed_every_record(
    production_settings: dict[str, dict[str, Any]], bootstrap: str, topic: str, records: int
) -> None:
    """KafkaDemoBS's group committed, on each partition, the offset after its last record."""
    group = production_settings[KAFKA_DEMO_BS]["group_id"]
    assert committed_offsets(bootstrap, topic, group) == log_end_offsets(bootstrap, topic, records)


def hand_off_failure(production: LocalProduction) -> str:
    """The error of the first poll whose hand-over fails (within 20 s)."""
    with pytest.raises(HandOffFailed) as raised:
        poll_until(production, lambda: False, timeout=20)
    return str(raised.value)


def publish_test_product(production: LocalProduction, name: str, price: str) -> KafkaRecordSent:
    """What `iop --test Python.KafkaDemoBO --classname kafka_demo.msg.KafkaTestMessage` does."""
    reply = production.deliver(
        "EnsLib.Testing.Service",
        KAFKA_DEMO_BO,
        dispatch_serializer(KafkaTestMessage(name=name, price=Decimal(price))),
        sync=True,
    )
    return dispatch_deserializer(reply)


def test_kafka_demo_bo_puts_a_json_record_on_the_topic(
    start_production: Any, kafka_bootstrap: str, topics: dict[str, str]
) -> None:
    production = start_production()
    sent = publish_test_product(production, "test", "10")
    records = read_topic(kafka_bootstrap, topics["topic"], expected=1)
    assert [json.loads(record.value) for record in records] == [{"name": "test", "price": 10.0}]
    assert (sent.topic, sent.partition, sent.offset) == (
        topics["topic"],
        records[0].partition,
        records[0].offset,
    )


def test_kafka_demo_bo_gives_every_record_a_key_of_its_own(
    start_production: Any, kafka_bootstrap: str, topics: dict[str, str]
) -> None:
    """So both consumers store it under that key (`iop --test` sends through this BO)."""
    production = start_production()
    for _ in range(3):
        publish_test_product(production, "same", "1")
    keys = [record.key for record in read_topic(kafka_bootstrap, topics["topic"], expected=3)]
    assert len(set(keys)) == 3
    assert all(re.fullmatch(rb"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", key) for key in keys)


def test_each_record_is_stored_once_and_traced_bs_to_bp_to_bo(
    start_production: Any,
    database: Path,
    production_settings: dict[str, dict[str, Any]],
    kafka_bootstrap: str,
    topics: dict[str, str],
) -> None:
    production = start_production()
    expected = [(f"product {i} \u00e9", f"{i}.{i:02d}") for i in range(1, 9)]
    for name, price in expected:
        publish_test_product(production, name, price)

    poll_until(production, lambda: len(stored_rows(database)) >= len(expected))

    assert sorted(stored_rows(database)) == sorted(expected)
    sessions: dict[int, list[tuple[str, str, str]]] = {}
    for hop in production.trace.hops:
        if hop.source != "EnsLib.Testing.Service" and hop.target != "EnsLib.Testing.Service":
            sessions.setdefault(hop.session_id, []).append((hop.source, hop.target, hop.status))
    assert len(sessions) == len(expected)
    for hops in sessions.values():
        assert hops == [
            ("Python.KafkaDemoBS", "Python.KafkaDemoBP", "Completed"),
            ("Python.KafkaDemoBP", "Python.LocalStorageBO", "Completed"),
            ("Python.LocalStorageBO", "Python.KafkaDemoBP", "Completed"),
        ]
    assert_the_group_committed_every_record(
        production_settings, kafka_bootstrap, topics["topic"], len(expected)
    )


POISON = [
    b"\xff\xfe\xfd not utf-8",
    b'{"name": "caf\xc3',
    b"not json at all",
    b"[1, 2, 3]",
    b'{"name": "no price"}',
    b'{"name": "neg", "price": -5}',
    b'{"name": "nan", "price": NaN}',
    b'{"name": "cents", "price": 1.999}',
    ('{"name": "' + "x" * 300 + '", "price": 1}').encode(),
    b"",
]


def test_poison_records_go_to_the_dlq_with_bytes_and_reason_and_the_partition_moves_on(
    start_production: Any,
    database: Path,
    production_settings: dict[str, dict[str, Any]],
    kafka_bootstrap: str,
    topics: dict[str, str],
) -> None:
    production = start_production()
    valid = [b'{"name": "before", "price": 1}'] + POISON + [b'{"name": "after", "price": 2}']
    produce(kafka_bootstrap, topics["topic"], valid)

    poll_until(production, lambda: len(stored_rows(database)) >= 2)
    letters = read_topic(kafka_bootstrap, topics["dlq_topic"], expected=len(POISON))

    assert sorted(stored_rows(database)) == [("after", "2.00"), ("before", "1.00")]
    assert sorted(letter.value for letter in letters) == sorted(POISON)
    for letter in letters:
        headers = dict(letter.headers)
        assert headers["dlq.reason"].decode().startswith(("payload", "name", "price"))
        assert headers["dlq.topic"].decode() == topics["topic"]
        assert int(headers["dlq.offset"]) >= 0
    assert_the_group_committed_every_record(
        production_settings, kafka_bootstrap, topics["topic"], len(valid)
    )


def test_a_consumer_restarted_before_its_commit_does_not_store_twice(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    iris: IrisStandIn,
) -> None:
    produce(
        kafka_bootstrap,
        topics["topic"],
        [f'{{"name": "p{i}", "price": {i}}}'.encode() for i in range(6)],
    )
    with monkeypatch.context() as crash:
        crash.setattr(
            KafkaConsumer, "commit", lambda self, *args, **kwargs: None
        )  # dies before committing
        first = start_production()
        poll_until(first, lambda: len(stored_rows(database)) >= 6)
        first.stop()

    second = start_production()
    produce(kafka_bootstrap, topics["topic"], [b'{"name": "later", "price": 9}'])
    poll_until(second, lambda: len(stored_rows(database)) >= 7)

    assert sorted(stored_rows(database)) == sorted(
        [(f"p{i}", f"{i}.00") for i in range(6)] + [("later", "9.00")]
    )
    assert skipped_as_already_handed_over(iris) == 6
    assert handed_over(iris) == 7
    offsets = iris.gref("^KafkaDemo.Offset")
    # Per partition, the next offset is the number of records it holds (the producer picks
    # the partitions, so one of them may hold none).
    log = log_name(kafka_bootstrap, topics["topic"])
    next_offsets = [offsets.get([log, partition]) or 0 for partition in (0, 1)]
    assert sum(next_offsets) == 7


def test_records_handed_over_are_not_delivered_to_another_consumer_of_the_group(
    start_production: Any,
    database: Path,
    production_settings: dict[str, dict[str, Any]],
    kafka_bootstrap: str,
    topics: dict[str, str],
) -> None:
    production = start_production()
    produce(kafka_bootstrap, topics["topic"], [b'{"name": "once", "price": 1}'])
    poll_until(production, lambda: len(stored_rows(database)) >= 1)
    production.stop()

    other = KafkaConsumer(
        topics["topic"],
        bootstrap_servers=kafka_bootstrap,
        group_id=production_settings[KAFKA_DEMO_BS]["group_id"],
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=1500,
        # Apache Kafka refuses less than its group.min.session.timeout.ms.
        session_timeout_ms=MIN_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=500,
    )
    received = []
    for _ in range(15):
        for batch in other.poll(timeout_ms=200).values():
            received.extend(batch)
    other.close()
    assert received == []


def test_a_record_that_cannot_be_handed_over_is_read_again_not_lost(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
) -> None:
    produce(kafka_bootstrap, topics["topic"], [b'{"name": "kept", "price": 3}'])
    without_bp = start_production(skip={KAFKA_DEMO_BP: "stopped for this test"})
    failure = hand_off_failure(without_bp)
    assert "ErrBusinessDispatchNameNotRegistered: Python.KafkaDemoBP" in failure
    without_bp.stop()

    production = start_production()
    poll_until(production, lambda: len(stored_rows(database)) >= 1)
    assert stored_rows(database) == [("kept", "3.00")]


def test_a_batch_whose_offsets_cannot_be_recorded_is_read_again_and_stored_once(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    iris: IrisStandIn,
) -> None:
    names = ("first", "second", "third")
    values = [f'{{"name": "{name}", "price": 1}}'.encode() for name in names]
    produce(kafka_bootstrap, topics["topic"], values, partitions=[0] * len(values))
    store = iris.globals_store
    real_write = store.write
    failures = iter([OSError("database is locked")])

    def write_failing_once(name: str, subscripts: tuple[Any, ...], value: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        real_write(name, subscripts, value)

    monkeypatch.setattr(store, "write", write_failing_once)
    production = start_production()
    failure = hand_off_failure(production)
    failed = re.fullmatch(
        rf"{topics['topic']}\[0\]@0\.\.(\d) handed over, but their offsets were not recorded "
        r"\(read again\): OSError: database is locked",
        failure,
    )
    assert failed, failure
    offsets = iris.gref("^KafkaDemo.Offset")
    log = log_name(kafka_bootstrap, topics["topic"])
    poll_until(production, lambda: offsets.get([log, 0]) == 3)

    assert sorted(stored_rows(database)) == [
        ("first", "1.00"),
        ("second", "1.00"),
        ("third", "1.00"),
    ]
    handed_over = [hop for hop in production.trace.hops if hop.source == "Python.KafkaDemoBS"]
    assert len(handed_over) == 3 + int(failed.group(1)) + 1, "the failed batch came again"


def test_offsets_are_recorded_once_per_poll_batch_before_its_kafka_commit(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    iris: IrisStandIn,
) -> None:
    values = [f'{{"name": "p{i}", "price": 1}}'.encode() for i in range(6)]
    produce(
        kafka_bootstrap,
        topics["topic"],
        values,
        partitions=[i % 2 for i in range(6)],
        linger_ms=200,
    )
    events: list[tuple[Any, ...]] = []
    real_write, real_commit = iris.globals_store.write, KafkaConsumer.commit
    real_hand_over = KafkaDemoBS._hand_over

    def write(name: str, subscripts: tuple[Any, ...], value: Any) -> None:
        events.append(("offset", subscripts[1], value))
        real_write(name, subscripts, value)

    def commit(consumer: KafkaConsumer, *args: Any, **kwargs: Any) -> Any:
        events.append(("commit",))
        return real_commit(consumer, *args, **kwargs)

    def hand_over(service: KafkaDemoBS, message: Any) -> None:
        events.append(("record", message.partition, message.offset))
        real_hand_over(service, message)

    monkeypatch.setattr(iris.globals_store, "write", write)
    monkeypatch.setattr(KafkaConsumer, "commit", commit)
    monkeypatch.setattr(KafkaDemoBS, "_hand_over", hand_over)
    production = start_production()
    poll_until(production, lambda: len(stored_rows(database)) >= 6)

    batches, batch = [], []
    for event in events:
        batch.append(event)
        if event == ("commit",):
            batches.append(batch)
            batch = []
    assert sum(event[0] == "record" for event in events) == 6
    for batch in batches:
        records = [event for event in batch if event[0] == "record"]
        last_of = {partition: offset for _, partition, offset in records}
        expected = [("offset", partition, offset + 1) for partition, offset in last_of.items()]
        assert batch == [*records, *expected, ("commit",)]


def test_a_failed_commit_does_not_hide_the_records_that_were_not_handed_over(
    start_production: Any,
    kafka_bootstrap: str,
    topics: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    produce(kafka_bootstrap, topics["topic"], [b'{"name": "kept", "price": 3}'])

    def kicked_out(self: KafkaConsumer, *args: Any, **kwargs: Any) -> None:
        raise CommitFailedError("the consumer was kicked out of the group")

    monkeypatch.setattr(KafkaConsumer, "commit", kicked_out)
    without_bp = start_production(skip={KAFKA_DEMO_BP: "stopped for this test"})
    failure = hand_off_failure(without_bp)

    not_handed_over = (
        "not handed over: DeliveryError: ERROR <Ens>ErrBusinessDispatchNameNotRegistered: "
        "Python.KafkaDemoBP"
    )
    commit_failed = (
        "commit failed (read again, then skipped): "
        "CommitFailedError: the consumer was kicked out of the group"
    )
    assert failure in {
        f"{topics['topic']}[{partition}]@0 {not_handed_over}; {commit_failed}"
        for partition in (0, 1)
    }


def log_name(bootstrap: str, topic: str) -> str:
    """The subscript of the topic's offsets in ^KafkaDemo.Offset: its cluster, name and id."""
    identity = fetch_log_identity(bootstrap, topic)
    assert identity.topic_id, "Tansu gives every topic an id"
    return rules.kafka_log_name(identity.cluster_id, topic, identity.topic_id)


def test_a_topic_created_again_gets_new_keys_and_offsets_and_loses_nothing(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
    iris: IrisStandIn,
) -> None:
    """Its offsets start over at 0 under a new topic id: a record at an old place is a new
    record, neither skipped by ^KafkaDemo.Offset nor taken for the old one by its key."""
    topic = topics["topic"]
    value = b'{"name": "same place", "price": 1}'
    first = start_production()
    produce(kafka_bootstrap, topic, [value], partitions=[0], keyed=False)
    poll_until(first, lambda: len(stored_rows(database)) >= 1)
    first.stop()
    old = fetch_log_identity(kafka_bootstrap, topic)

    create_again(kafka_bootstrap, topic, partitions=2)
    new = identity_after(kafka_bootstrap, topic, old)
    second = start_production()
    produce(kafka_bootstrap, topic, [value], partitions=[0], keyed=False)
    poll_until(second, lambda: len(stored_rows(database)) >= 2)

    assert old.topic_id and new.topic_id and new.topic_id != old.topic_id
    cluster = old.cluster_id
    assert stored_sources(database) == [
        ("same place", f"kafka:{cluster}/{topic}/{old.topic_id}/0/0"),
        ("same place", f"kafka:{cluster}/{topic}/{new.topic_id}/0/0"),
    ]
    offsets = iris.gref("^KafkaDemo.Offset")
    for identity in (old, new):
        assert offsets.get([rules.kafka_log_name(cluster, topic, identity.topic_id), 0]) == 1


def identity_after(bootstrap: str, topic: str, old: LogIdentity) -> LogIdentity:
    """The identity of the topic created again, once the broker's metadata names it: Apache
    Kafka answers CreateTopics from its controller, and its broker learns the new topic (and
    its id) a moment later, from the metadata log."""
    deadline = time.monotonic() + 30
    while True:
        identity = fetch_log_identity(bootstrap, topic)
        if identity.topic_id and identity.topic_id != old.topic_id:
            return identity
        assert time.monotonic() < deadline, f"{topic} has no new id after 30 s: {identity}"
        time.sleep(0.1)


def create_again(bootstrap: str, topic: str, partitions: int) -> None:
    """Delete the topic and create it again. A broker may take a moment to forget it, and
    Apache Kafka (auto.create.topics.enable, true by default, as in the compose stack) creates
    it again for a client still asking for its metadata: then it is deleted once more."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(UnknownTopicOrPartitionError):
                admin.delete_topics([topic])
            try:
                admin.create_topics([NewTopic(topic, partitions, 1)])
                return
            except TopicAlreadyExistsError:
                assert time.monotonic() < deadline, f"{topic} was not deleted within 30 s"
                time.sleep(0.5)
    finally:
        admin.close()


def stored_sources(database: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute("SELECT name, source FROM product ORDER BY id"))


def test_the_offsets_of_the_records_handed_over_before_a_failing_one_are_recorded(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    iris: IrisStandIn,
) -> None:
    """The batch stops at the record that fails; those before it are stored, and their
    offsets written, so only the failed one comes again."""
    topic = topics["topic"]
    values = [f'{{"name": "{name}", "price": 1}}'.encode() for name in ("one", "two", "three")]
    produce(kafka_bootstrap, topic, values, partitions=[0] * len(values))
    real_hand_over = KafkaDemoBS._hand_over
    refusals = iter([RuntimeError("the BP is busy")])

    def refuse_the_third_once(service: KafkaDemoBS, message: Any) -> None:
        refusal = next(refusals, None) if message.offset == 2 else None
        if refusal is not None:
            raise refusal
        real_hand_over(service, message)

    monkeypatch.setattr(KafkaDemoBS, "_hand_over", refuse_the_third_once)
    production = start_production()
    failure = hand_off_failure(production)

    assert failure == f"{topic}[0]@2 not handed over: RuntimeError: the BP is busy"
    assert sorted(stored_rows(database)) == [("one", "1.00"), ("two", "1.00")]
    offsets = iris.gref("^KafkaDemo.Offset")
    log = log_name(kafka_bootstrap, topic)
    assert offsets.get([log, 0]) == 2
    poll_until(production, lambda: len(stored_rows(database)) >= 3)
    assert sorted(stored_rows(database)) == [("one", "1.00"), ("three", "1.00"), ("two", "1.00")]
    assert offsets.get([log, 0]) == 3


def test_a_keyed_record_is_stored_under_its_topic_and_key(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
) -> None:
    """KafkaDemoBS hands the record's key over: the stored source names the topic and the key,
    not the record's place in its log."""
    topic = topics["topic"]
    produce(kafka_bootstrap, topic, [b'{"name": "keyed", "price": 1}'])
    (record,) = read_topic(kafka_bootstrap, topic, expected=1)
    production = start_production()
    poll_until(production, lambda: len(stored_rows(database)) >= 1)

    ((name, source),) = stored_sources(database)
    assert name == "keyed"
    assert source is not None and source.startswith(rules.KAFKA_KEY_SOURCE_PREFIX)
    assert f"{topic}/{record.key.decode()}" in source


def test_a_price_in_cents_sent_as_json_is_stored_to_the_cent(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
) -> None:
    """19.99 is no binary fraction: read as a float it would have more than 2 decimal places."""
    produce(kafka_bootstrap, topics["topic"], [b'{"name": "cents", "price": 19.99}'])
    production = start_production()
    poll_until(production, lambda: len(stored_rows(database)) >= 1)
    assert stored_rows(database) == [("cents", "19.99")]


MIB = 1024 * 1024


def dead_letter_headers(topic: str, offset: int) -> list[tuple[str, bytes]]:
    """The headers of a dead letter for a JSON array at that offset of partition 1."""
    return [
        ("dlq.reason", b"payload must be a JSON object, not an array"),
        ("dlq.topic", topic.encode()),
        ("dlq.partition", b"1"),
        ("dlq.offset", str(offset).encode()),
    ]


@pytest.mark.parametrize(
    ("topic_limit", "dlq_limit", "warned"),
    [
        (MIB, MIB, True),
        (MIB, MIB + RECORD_OVERHEAD_BYTES - 1, True),
        (MIB, MIB + RECORD_OVERHEAD_BYTES, False),
        (MIB, None, False),
        (None, MIB, False),
    ],
)
def test_a_dead_letter_keeps_its_key_and_a_dlq_too_small_for_the_topic_is_named(
    start_production: Any,
    kafka_bootstrap: str,
    topics: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    iris: IrisStandIn,
    topic_limit: int | None,
    dlq_limit: int | None,
    warned: bool,
) -> None:
    """KafkaDemoBO sizes its producer from the limits the broker reports (Tansu reports none,
    so they are given here), and warns, with the size to set, when the dead-letter topic
    cannot take the largest record of the source topic with its headers."""
    topic, dlq_topic = topics["topic"], topics["dlq_topic"]
    reported = {name: limit for name, limit in ((topic, topic_limit), (dlq_topic, dlq_limit))}
    asked: list[list[str]] = []

    def limits_reported(kafka_broker: Any, names: list[str]) -> RecordLimits:
        asked.append(list(names))
        return RecordLimits({name: reported[name] for name in names if reported[name]})

    monkeypatch.setattr(bo, "fetch_record_limits", limits_reported)
    produce(kafka_bootstrap, topic, [b"[]"], partitions=[1])
    produce(kafka_bootstrap, topic, [b"[]"], partitions=[1], keyed=False)
    keyed, _ = read_topic(kafka_bootstrap, topic, expected=2)
    production = start_production()

    def dead_lettered() -> bool:
        sent = [hop for hop in production.trace.hops if hop.target == KAFKA_DEMO_BO]
        return sum(hop.status == "Completed" for hop in sent) >= 2

    poll_until(production, dead_lettered)

    letters = read_topic(kafka_bootstrap, dlq_topic, expected=2)
    assert [(letter.key, letter.value, letter.headers) for letter in letters] == [
        (key, b"[]", dead_letter_headers(topic, offset))
        for offset, key in enumerate([keyed.key, None])
    ]
    assert asked == [[topic, dlq_topic]]
    warnings = [text for text in iris.event_log.texts("Warning") if not text.startswith("Rejected")]
    assert warnings == (
        [
            f"{dlq_topic} takes records up to {dlq_limit} bytes, {topic} up to {topic_limit}: "
            f"a dead letter of its largest records would be refused; set {dlq_topic}'s "
            f"max.message.bytes to {MIB + RECORD_OVERHEAD_BYTES} or more"
        ]
        if warned
        else []
    )


def test_a_record_the_broker_does_not_acknowledge_in_time_is_an_error_after_the_timeout() -> None:
    """KafkaDemoBO waits `timeout` seconds for the acknowledgement, then the send fails, so a
    broker that stops answering holds neither the message nor the BO's stop (here: Tansu
    paused with SIGSTOP)."""
    with EmbeddedBroker() as tansu:
        create_topics(tansu.bootstrap, {"kafka_demo": 1, "kafka_demo.dlq": 1})
        sender = build_component(KafkaDemoBO, kafka_broker=tansu.bootstrap, timeout=1)
        sent = sender.on_kafka_test_message(KafkaTestMessage(name="first", price=Decimal(1)))
        assert (sent.topic, sent.offset) == ("kafka_demo", 0)
        assert tansu.pid is not None
        os.kill(tansu.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(KafkaTimeoutError):
                sender.on_kafka_test_message(KafkaTestMessage(name="second", price=Decimal(1)))
            assert time.monotonic() - started < 5
            started = time.monotonic()
            # Stopping waits for the unacknowledged record as long, then reports it.
            with pytest.raises(KafkaTimeoutError):
                sender.on_tear_down()
            assert time.monotonic() - started < 5
        finally:
            os.kill(tansu.pid, signal.SIGCONT)


def test_a_record_whose_key_is_not_utf8_is_stored_by_its_place(
    start_production: Any,
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
) -> None:
    """Such a key is no usable key (each consumer may decode it its own way): the record is
    handed over all the same, and stored under its log and offset."""
    topic = topics["topic"]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send(topic, b'{"name": "odd key", "price": 1}', key=b"\xff\xfe", partition=0)
    producer.flush()
    producer.close()
    production = start_production()
    poll_until(production, lambda: len(stored_rows(database)) >= 1)

    identity = fetch_log_identity(kafka_bootstrap, topic)
    ((name, source),) = stored_sources(database)
    assert name == "odd key"
    assert source is not None and source.startswith(rules.KAFKA_SOURCE_PREFIX)
    assert f"{topic}/{identity.topic_id}/0/0" in source
