"""Every message survives IoP's own serialization, as it does between two IRIS jobs."""

import ast
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from iop import Message
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer
from iop.messages.serialization import SerializationError

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
    RecordOrigin,
)


def round_trip(message: object) -> object:
    return dispatch_deserializer(dispatch_serializer(message))


@pytest.mark.parametrize(
    "message",
    [
        KafkaRawMessage(value=b'{"name": "apple", "price": 1.5}'),
        KafkaRawMessage.from_record(
            "caf\u00e9 \u20ac \U0001f600".encode(),
            RecordOrigin(topic="kafka_demo", partition=1, offset=42),
        ),
        KafkaRawMessage.from_record(
            b"\xff\xfe\x00binary", RecordOrigin(topic="kafka_demo", partition=0, offset=7)
        ),
        KafkaDeadLetterMessage.for_record(
            KafkaRawMessage.from_record(
                b"\x80oops", RecordOrigin(topic="kafka_demo", partition=1, offset=3)
            ),
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
    message = KafkaRawMessage.from_record(
        raw, RecordOrigin(topic="kafka_demo", partition=0, offset=1)
    )
    assert message.value == b""
    assert round_trip(message).payload() == raw


def test_utf8_bytes_stay_readable_text_in_the_message_body() -> None:
    message = KafkaRawMessage.from_record(
        '{"name": "\u00e9"}'.encode(), RecordOrigin(topic="kafka_demo", partition=0, offset=1)
    )
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


@dataclass
class PlainDataclassMessage(Message):
    """IoP's other kind of message, for contrast: a dataclass Message."""

    price: Decimal


def test_iop_checks_the_field_types_of_our_messages_on_receipt() -> None:
    """IoP 4.1 rebuilds a PydanticMessage with the class's pydantic model: a price that is no
    number fails on receipt, before any handler (a dataclass Message would keep the text)."""
    wrong_type = '{"name": "apple", "price": "not a number"}'

    with pytest.raises(SerializationError, match="price"):
        dispatch_deserializer(IOPMessage.holding("kafka_demo.msg.ProductSQLMessage", wrong_type))
    plain = dispatch_deserializer(
        IOPMessage.holding(f"{__name__}.PlainDataclassMessage", '{"price": "not a number"}')
    )
    assert isinstance(plain, PlainDataclassMessage)
    assert plain.price == "not a number"


def test_iop_lets_through_a_product_of_the_right_types_that_breaks_the_rules() -> None:
    """The business rules are not types: a blank name or a third decimal reaches the handler,
    which is why the operations check the rules again (kafka_demo.bo)."""
    breaking = '{"name": " ", "price": "1.999"}'

    received = dispatch_deserializer(
        IOPMessage.holding("kafka_demo.msg.ProductSQLMessage", breaking)
    )

    assert received == ProductSQLMessage(name=" ", price=Decimal("1.999"))


EVERY_COORDINATE = RecordOrigin(
    topic="kafka_demo",
    partition=1,
    offset=42,
    key="sku-42",
    cluster_id="tansu_cluster",
    topic_id="01a24107-d3a5-78a3-a2b1-308219185006",
)


def test_a_raw_message_is_the_origin_it_was_built_from_after_iop_carried_it() -> None:
    message = KafkaRawMessage.from_record(b'{"name": "a", "price": 1}', EVERY_COORDINATE)
    received = round_trip(message)
    assert isinstance(received, RecordOrigin)
    assert received.coordinates() == EVERY_COORDINATE.coordinates()


def test_an_http_body_has_the_empty_origin_which_is_no_kafka_record() -> None:
    body = KafkaRawMessage(b'{"name": "a", "price": 1}')
    assert body.coordinates() == RecordOrigin().coordinates()
    assert not body.is_kafka_record()
    assert EVERY_COORDINATE.is_kafka_record()
    assert (body.origin_text(), EVERY_COORDINATE.origin_text()) == (
        "HTTP request",
        "kafka_demo[1]@42",
    )


def test_the_raw_and_dead_letter_messages_keep_their_json_field_by_field() -> None:
    """Messages stored in IRIS keep their JSON: KafkaRawMessage's origin is six flat fields
    after its payload, and the dead letter keeps four of them after its reason."""
    record = KafkaRawMessage.from_record(b"\xff", EVERY_COORDINATE)
    letter = KafkaDeadLetterMessage.for_record(record, "payload is not valid UTF-8")
    assert dispatch_serializer(record).json == (
        '{"value":"","value_base64":"/w==","topic":"kafka_demo","partition":1,"offset":42,'
        '"key":"sku-42","cluster_id":"tansu_cluster",'
        '"topic_id":"01a24107-d3a5-78a3-a2b1-308219185006"}'
    )
    assert dispatch_serializer(letter).json == (
        '{"value":"","value_base64":"/w==","reason":"payload is not valid UTF-8",'
        '"topic":"kafka_demo","partition":1,"offset":42,"key":"sku-42"}'
    )
