"""The messages take the original demo's constructors, and ProductMessage is one of them."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer

from kafka_demo.bo import LocalStorageBO
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.msg import (
    KafkaDeadLetterMessage,
    KafkaRawMessage,
    KafkaTestMessage,
    Product,
    ProductIRISMessage,
    ProductMessage,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
)
from tests.support.hosts import build_component
from tests.support.storage import stored_rows

ORIGINAL_PRODUCT_MESSAGES = [
    KafkaTestMessage,
    ProductMessage,
    ProductSQLMessage,
    ProductIRISMessage,
]
PRODUCT_MESSAGES = [*ORIGINAL_PRODUCT_MESSAGES, ProductSQLAlchemyMessage]


def test_a_raw_message_takes_its_bytes_by_position_as_in_the_original() -> None:
    first = KafkaRawMessage(b'{"name": "test", "price": 1.0}')
    second = KafkaRawMessage('{"name": "tést"}'.encode("utf-8"))  # noqa: UP012 (as the original)
    assert first == KafkaRawMessage(value=b'{"name": "test", "price": 1.0}')
    assert (first.value, first.payload()) == (b'{"name": "test", "price": 1.0}',) * 2
    assert second.payload() == '{"name": "tést"}'.encode()
    assert (first.topic, first.partition, first.offset) == ("", -1, -1)


@pytest.mark.parametrize("message_class", PRODUCT_MESSAGES)
def test_a_product_message_takes_name_and_price_by_position_or_keyword(
    message_class: type,
) -> None:
    by_position = message_class("test", 1.0)
    by_keyword = message_class(name="test", price=1.0)
    mixed = message_class("test", price=1.0)
    assert by_position == by_keyword == mixed
    assert (by_position.name, by_position.price) == ("test", Decimal("1.0"))
    assert type(by_position.price) is Decimal


@pytest.mark.parametrize("message_class", ORIGINAL_PRODUCT_MESSAGES)
def test_the_original_bp_builds_each_message_from_a_product_dict(message_class: type) -> None:
    """What the original README's KafkaDemoBP does with a record's JSON."""
    product = Product(**json.loads(b'{"name": "test", "price": 1.0}'.decode("utf-8")))
    message = message_class(**product.__dict__)
    assert (type(message), message.name, message.price) == (message_class, "test", Decimal("1.0"))


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (
            lambda: KafkaRawMessage(b"x", "kafka_demo"),
            "KafkaRawMessage takes 1 positional argument(s) (value) but 2 were given",
        ),
        (
            lambda: ProductSQLMessage("a", 1, "src"),
            "ProductSQLMessage takes 2 positional argument(s) (name, price) but 3 were given",
        ),
        (
            lambda: ProductSQLMessage("a", 1, name="b"),
            "ProductSQLMessage got multiple values for argument 'name'",
        ),
        (
            lambda: KafkaRawMessage(b"x", value=b"y"),
            "KafkaRawMessage got multiple values for argument 'value'",
        ),
        (
            lambda: KafkaDeadLetterMessage(b"x"),
            "KafkaDeadLetterMessage takes 0 positional argument(s) (none) but 1 were given",
        ),
        (
            lambda: ProductStored("sql", 1),
            "takes 1 positional argument but 3 were given",  # IoP's own message class
        ),
    ],
)
def test_fields_beyond_the_originals_are_keyword_only(build: Any, error: str) -> None:
    with pytest.raises(TypeError) as raised:
        build()
    assert str(raised.value).endswith(error)


def test_a_positional_message_is_still_validated() -> None:
    with pytest.raises(ValueError, match="price"):
        ProductSQLMessage("a", "not a number")


@pytest.mark.parametrize(
    "message",
    [
        KafkaRawMessage(b'{"name": "test", "price": 1.0}'),
        KafkaRawMessage("é€".encode()),
        *[cls("test", Decimal("10.25")) for cls in PRODUCT_MESSAGES],
    ],
    ids=lambda message: type(message).__name__,
)
def test_positionally_built_messages_cross_iop_serialization_unchanged(message: Any) -> None:
    serial = dispatch_serializer(message)
    back = dispatch_deserializer(serial)
    assert serial.classname == f"kafka_demo.msg.{type(message).__name__}"
    assert (type(back), back) == (type(message), message)


@pytest.fixture
def storage_bo(tmp_path: Path) -> LocalStorageBO:
    return build_component(LocalStorageBO, connection_string=f"sqlite:///{tmp_path / 'p.db'}")


@pytest.mark.parametrize("message_class", [ProductMessage, ProductSQLAlchemyMessage])
def test_either_name_of_the_sqlalchemy_route_is_recorded_as_sent_and_stored(
    message_class: type, storage_bo: LocalStorageBO, tmp_path: Path
) -> None:
    serial = dispatch_serializer(message_class("test", Decimal("1.50")))
    reply = dispatch_deserializer(storage_bo._dispatch_on_message(serial))
    assert serial.classname == f"kafka_demo.msg.{message_class.__name__}"
    assert reply == ProductStored(route="sqlalchemy", id=1)
    assert stored_rows(tmp_path / "p.db") == [("test", "1.50")]


def test_a_product_message_sent_by_class_name_alone_is_stored(
    iris: IrisStandIn, storage_bo: LocalStorageBO, tmp_path: Path
) -> None:
    """What `iop --test Python.LocalStorageBO --classname kafka_demo.msg.ProductMessage
    --body '{"name": "test", "price": 10}'` hands over: an IOP.Message built by name."""
    request = iris.cls("IOP.Message")._New()
    request.classname = "kafka_demo.msg.ProductMessage"
    request.json = '{"name": "test", "price": 10}'
    reply = dispatch_deserializer(storage_bo._dispatch_on_message(request))
    assert reply == ProductStored(route="sqlalchemy", id=1)
    assert stored_rows(tmp_path / "p.db") == [("test", "10.00")]


@pytest.mark.parametrize(
    "message_class", [*PRODUCT_MESSAGES, KafkaRawMessage, KafkaDeadLetterMessage]
)
def test_receipt_rebuilds_a_message_in_one_validation_without_calling_init(
    message_class: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IoP rebuilds a message with model_validate_json; pydantic calls a custom __init__
    from there (validating twice) unless it is marked as pydantic's own."""
    fields = {"name": "a", "price": "1"} if "name" in message_class.model_fields else {}
    serial = dispatch_serializer(message_class(**fields))
    called: list[object] = []
    monkeypatch.setattr(message_class, "__init__", lambda *args, **kwargs: called.append(args))
    back = dispatch_deserializer(serial)
    assert (type(back), called) == (message_class, [])
    assert message_class.__pydantic_custom_init__ is False
