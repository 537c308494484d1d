"""EnsLib.Kafka.Message as the IRIS-adapter stand-in builds it, and through IoP into the BP."""

import hashlib
from decimal import Decimal
from typing import Any

import pytest
from iop.messages.dispatch import dispatch_deserializer

from kafka_demo.bp import KafkaDemoBP
from kafka_demo.local_mode.iris.iris_kafka_service import (
    KEY_MAX_LENGTH,
    STRING_MAX_LENGTH,
    IrisKafkaService,
    KafkaMessage,
    KeyTooLong,
)
from kafka_demo.msg import KafkaDeadLetterMessage, ProductRejected, ProductSQLMessage
from tests.support.hosts import RecordingHandle, Send, build_component
from tests.support.kafka import consumer_record as record


def read_binary_value(message: KafkaMessage) -> bytes:
    stream = message.binaryValue
    stream.Rewind()
    chunks = []
    while not stream.AtEnd:
        chunks.append(stream.Read(1000))
    return "".join(chunks).encode("latin-1")


def test_text_is_the_value_and_the_key_a_string() -> None:
    message = KafkaMessage.from_record(record("caf\u00e9 \U0001f600".encode(), key=b"k1"))
    assert (message.topic, message.value, message.key) == (
        "kafka_demo",
        "caf\u00e9 \U0001f600",
        "k1",
    )
    assert message.binaryValue.Size == 0
    assert message._ClassName(1) == "EnsLib.Kafka.Message"
    assert not hasattr(message, "partition") and not hasattr(message, "offset")


def test_bytes_a_string_cannot_hold_go_to_binary_value() -> None:
    not_text = KafkaMessage.from_record(record(b"\xff\xfe\x00 raw"))
    too_long = KafkaMessage.from_record(record(b"n" * (STRING_MAX_LENGTH + 1)))
    longest = KafkaMessage.from_record(record(b"n" * STRING_MAX_LENGTH))

    assert (not_text.value, read_binary_value(not_text)) == ("", b"\xff\xfe\x00 raw")
    assert (too_long.value, too_long.binaryValue.Size) == ("", STRING_MAX_LENGTH + 1)
    assert (len(longest.value), longest.binaryValue.Size) == (STRING_MAX_LENGTH, 0)
    assert KafkaMessage.from_record(record(None)).value == ""


def test_the_traced_body_gives_the_same_message_back() -> None:
    for original in (
        KafkaMessage.from_record(record(b'{"name": "a", "price": 1}', key=b"k")),
        KafkaMessage.from_record(record(b"\xff bytes")),
    ):
        again = KafkaMessage.from_json_text(original.json_text())
        assert (again.topic, again.key, again.value) == (
            original.topic,
            original.key,
            original.value,
        )
        assert read_binary_value(again) == read_binary_value(original)


def run_bp(message: KafkaMessage) -> tuple[Any, list[Send]]:
    """The BP receives the IRIS object itself: IoP's dispatch picks on_iris_kafka_message."""
    handle = RecordingHandle(answer=lambda target, request: None)
    bp = build_component(KafkaDemoBP, handle, storage_routes="sql")
    return bp._dispatch_on_request(handle, message), handle.sends


def test_the_bp_stores_a_record_of_the_iris_adapter() -> None:
    _, sends = run_bp(KafkaMessage.from_record(record(b'{"name": "pear", "price": 2.25}')))
    assert sends == [
        Send("sync", "Python.LocalStorageBO", ProductSQLMessage(name="pear", price=Decimal("2.25")))
    ]


def test_a_record_of_the_iris_adapter_with_a_key_is_stored_under_its_key() -> None:
    """The key KafkaDemoBS stores it under too: either consumer may read it."""
    key = b"5d0c6f9e-2b1a-4c3e-9f00-7a1b2c3d4e5f"
    value = b'{"name": "pear", "price": 1}'
    _, sends = run_bp(KafkaMessage.from_record(record(value, key=key)))
    source = f"kafka-key:kafka_demo/{key.decode()}/{hashlib.sha256(value).hexdigest()}"
    assert sends == [
        Send(
            "sync",
            "Python.LocalStorageBO",
            ProductSQLMessage(name="pear", price=Decimal("1"), source=source),
        )
    ]


def test_a_key_that_was_not_utf8_is_no_key_on_the_iris_adapters_door() -> None:
    _, sends = run_bp(KafkaMessage.from_record(record(b'{"name": "a", "price": 1}', key=b"\xff")))
    assert sends[0].message.source == ""


def test_a_dead_letter_keeps_the_records_key() -> None:
    _, sends = run_bp(KafkaMessage.from_record(record(b"[]", key=b"k-1")))
    assert [(send.target, send.message.key) for send in sends] == [("Python.KafkaDemoBO", "k-1")]


def test_the_bp_dead_letters_binary_value_with_its_original_bytes() -> None:
    reply, sends = run_bp(KafkaMessage.from_record(record(b"\xff\xfe not utf-8")))
    assert [send.target for send in sends] == ["Python.KafkaDemoBO"]
    letter = sends[0].message
    assert isinstance(letter, KafkaDeadLetterMessage)
    assert (letter.payload(), letter.topic, letter.partition, letter.offset) == (
        b"\xff\xfe not utf-8",
        "kafka_demo",
        -1,
        -1,
    )
    assert dispatch_deserializer(reply) == ProductRejected(
        reason="payload is not valid UTF-8 (byte 0: b'\\xff')", field=""
    )


def test_a_key_longer_than_the_message_holds_fails_as_iris_validation_does() -> None:
    longest = KafkaMessage.from_record(record(b'{"name": "a", "price": 1}', key=b"k" * 1000))
    assert len(longest.key) == KEY_MAX_LENGTH == 1000
    # A character beyond U+FFFF counts twice, as in IRIS's 16-bit strings.
    emoji_key = ("\U0001f600" * 500 + "k").encode()
    for key in (b"k" * 1001, emoji_key):
        with pytest.raises(KeyTooLong) as refused:
            KafkaMessage.from_record(record(b'{"name": "a", "price": 1}', key=key))
        assert str(refused.value).startswith("ERROR #7201: Datatype value '")
        assert str(refused.value).endswith(
            "length longer than MAXLEN allowed of 1000 > ERROR #5802: Datatype validation failed"
            " on property 'EnsLib.Kafka.Message:key'"
        )


class _Deliveries:
    """The router's deliver(), recording what reached each target."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    def deliver(self, source: str, target: str, request: Any, *, sync: bool) -> None:
        self.sent.append((source, target, request))


def test_the_door_hands_a_long_keyed_record_to_no_target_names_it_and_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deliveries = _Deliveries()
    service = IrisKafkaService(
        deliveries,
        "EnsLib.Kafka.Service",
        {},
        ["Python.KafkaDemoBP"],
        max_poll_interval_ms=300_000,
        max_poll_records=10,
    )
    service._hand_over(record(b'{"name": "a", "price": 1}', key=b"k" * 1001))
    service._hand_over(record(b'{"name": "b", "price": 2}', key=b"k2"))
    assert [(target, message.key) for _, target, message in deliveries.sent] == [
        ("Python.KafkaDemoBP", "k2")
    ]
    assert service.handed_over == 1
    (error,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert error.getMessage().startswith(
        "EnsLib.Kafka.Service: record 1@42 of kafka_demo not handed over, its key is too long:"
        " ERROR #7201: "
    )
