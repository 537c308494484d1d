"""Every message survives IoP's own serialization, as it does between two IRIS jobs."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer

from kafka_demo.local_mode.iris.iris_standin import CharacterStream, IOPMessage
from kafka_demo.msg import (
    KafkaDeadLetterMessage,
    KafkaRawMessage,
    KafkaRecordSent,
    KafkaTestMessage,
    ProductIRISMessage,
    ProductRejected,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
)


def round_trip(message: object) -> object:
    return dispatch_deserializer(dispatch_serializer(message))


@pytest.mark.parametrize(
    "message",
    [
        KafkaRawMessage(value=b'{"name": "apple", "price": 1.5}'),
        KafkaRawMessage.from_record("caf\u00e9 \u20ac \U0001f600".encode(), "kafka_demo", 1, 42),
        KafkaRawMessage.from_record(b"\xff\xfe\x00binary", "kafka_demo", 0, 7),
        KafkaDeadLetterMessage.for_record(
            KafkaRawMessage.from_record(b"\x80oops", "kafka_demo", 1, 3),
            "payload is not valid UTF-8",
        ),
        KafkaTestMessage(name="test", price=Decimal("10")),
        ProductSQLMessage(name="a", price=Decimal("10.25")),
        ProductSQLMessage(name="a", price=Decimal("10.25"), source="kafka:kafka_demo/1/42"),
        ProductIRISMessage(name="b", price=Decimal("0.10")),
        ProductSQLAlchemyMessage(name="c", price=Decimal("99999999.99")),
        ProductStored(route="sql", id=12),
        ProductRejected(reason="price must not be negative", field="price"),
        KafkaRecordSent(topic="kafka_demo", partition=1, offset=5),
    ],
    ids=lambda message: type(message).__name__,
)
def test_every_message_round_trips_unchanged(message: object) -> None:
    assert round_trip(message) == message


def test_a_message_travels_as_readable_json_in_an_iop_message() -> None:
    serial = dispatch_serializer(ProductSQLMessage(name="apple", price=Decimal("10.50")))
    assert isinstance(serial, IOPMessage)
    assert serial.classname == "kafka_demo.msg.ProductSQLMessage"
    assert serial.json == '{"name":"apple","price":"10.50","source":""}'


def test_prices_come_back_as_exact_decimals() -> None:
    back = round_trip(ProductSQLMessage(name="a", price=Decimal("0.10")))
    assert isinstance(back.price, Decimal)
    assert str(back.price) == "0.10"


def test_bytes_that_are_not_utf8_travel_base64_and_come_back_whole() -> None:
    raw = bytes(range(256))
    message = KafkaRawMessage.from_record(raw, "kafka_demo", 0, 1)
    assert message.value == b""
    assert round_trip(message).payload() == raw


def test_utf8_bytes_stay_readable_text_in_the_message_body() -> None:
    message = KafkaRawMessage.from_record('{"name": "\u00e9"}'.encode(), "kafka_demo", 0, 1)
    assert "\u00e9" in dispatch_serializer(message).json
    assert message.value_base64 == ""


def test_a_message_over_iris_string_limit_goes_through_a_stream() -> None:
    big = KafkaRawMessage(value=b"x" * 1_200_000)
    serial = dispatch_serializer(big)
    assert isinstance(serial.json, CharacterStream)
    assert dispatch_deserializer(serial) == big


def test_message_module_does_not_postpone_annotations() -> None:
    """IoP rebuilds fields from their annotations; a postponed Decimal fails on receipt."""
    import kafka_demo.msg as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    future_imports = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "__future__"
    ]
    assert future_imports == []
