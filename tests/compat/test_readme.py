"""The code paths the original demo's README shows, run against our classes.

Each test does what a README snippet does (build a message, call a handler of
a plainly built component with its sends mocked, as the original's tests do)
and checks the effect: the message routed, the record on the topic, the row.
"""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer
from sqlalchemy.orm import Session

from kafka_demo import storage
from kafka_demo.bo import KafkaDemoBO, LocalStorageBO
from kafka_demo.bp import KafkaDemoBP
from kafka_demo.bs import KafkaRestBS
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.models import ProductModel
from kafka_demo.msg import (
    KafkaRawMessage,
    KafkaRecordSent,
    KafkaTestMessage,
    ProductIRISMessage,
    ProductMessage,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
)
from tests.support.iris_fakes import IrisKafkaMessage, ProductClass
from tests.support.kafka import read_topic
from tests.support.storage import stored_rows

ROUTED = {
    "sql": ProductSQLMessage,
    "iris": ProductIRISMessage,
    "sqlalchemy": ProductSQLAlchemyMessage,
}


def plain_bp(storage_routes: str | None = None) -> KafkaDemoBP:
    """KafkaDemoBP() with send_request_sync mocked, as the original's test_bp builds it."""
    bp = KafkaDemoBP()
    if storage_routes is not None:
        bp.storage_routes = storage_routes
    bp.send_request_sync = MagicMock(return_value=ProductStored(route="sql", id=1))
    return bp


def routed(bp: KafkaDemoBP) -> tuple[str, Any]:
    """The one (target, message) the BP sent; the message as the target receives it."""
    (call,) = bp.send_request_sync.call_args_list
    target, message = call.args
    serial = dispatch_serializer(message)
    assert serial.classname == f"kafka_demo.msg.{type(message).__name__}"
    return target, dispatch_deserializer(serial)


@pytest.mark.parametrize("route", ["sql", "iris", "sqlalchemy"])
def test_on_kafka_raw_message_routes_a_product_with_a_decimal_price(route: str) -> None:
    bp = plain_bp(route)
    reply = bp.on_kafka_raw_message(KafkaRawMessage(b'{"name": "test", "price": 1.0}'))
    target, message = routed(bp)
    assert (target, type(message)) == ("Python.LocalStorageBO", ROUTED[route])
    assert (message.name, message.price, type(message.price)) == ("test", Decimal("1.0"), Decimal)
    assert reply == ProductStored(route="sql", id=1)


def test_on_kafka_raw_message_picks_a_route_at_random_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The original picked the message type with random.choice; so do we, among routes."""
    offered: list[tuple[str, ...]] = []
    monkeypatch.setattr("random.choice", lambda routes: offered.append(tuple(routes)) or "iris")
    bp = plain_bp()
    bp.on_kafka_raw_message(KafkaRawMessage(b'{"name": "test", "price": 1.0}'))
    assert offered == [("sql", "iris", "sqlalchemy")]
    assert routed(bp)[1] == ProductIRISMessage("test", Decimal("1.0"))


def test_on_iris_kafka_message_takes_the_adapters_string_value() -> None:
    bp = plain_bp("sqlalchemy")
    bp.on_iris_kafka_message(IrisKafkaMessage('{"name": "tést", "price": 10.25}'))
    target, message = routed(bp)
    assert target == "Python.LocalStorageBO"
    assert message == ProductSQLAlchemyMessage("tést", Decimal("10.25"))
    assert type(message.price) is Decimal


def test_kafka_rest_bs_sends_the_request_body_as_a_raw_message() -> None:
    """app.py's `bs.on_process_input(json.dumps(request.get_json()))`."""
    bs = KafkaRestBS()
    bs.send_request_sync = MagicMock(return_value=ProductStored(route="sql", id=4))
    reply = bs.on_process_input(json.dumps({"name": "test", "price": 10}))
    bs.send_request_sync.assert_called_once_with(
        "Python.KafkaDemoBP", KafkaRawMessage(b'{"name": "test", "price": 10}')
    )
    assert reply == ProductStored(route="sql", id=4)


def test_kafka_demo_bo_puts_the_test_message_on_the_topic(
    kafka_bootstrap: str, topics: dict[str, str]
) -> None:
    bo = KafkaDemoBO()
    bo.kafka_broker = [kafka_bootstrap]
    bo.topic = topics["topic"]
    sent = bo.on_kafka_test_message(KafkaTestMessage(name="test", price=10))
    bo.on_tear_down()
    (record,) = read_topic(kafka_bootstrap, topics["topic"], expected=1)
    assert json.loads(record.value) == {"name": "test", "price": 10.0}
    assert sent == KafkaRecordSent(
        topic=topics["topic"], partition=record.partition, offset=record.offset
    )


def test_iop_test_of_kafka_demo_bo_with_the_readmes_body_puts_it_on_the_topic(
    iris: IrisStandIn, kafka_bootstrap: str, topics: dict[str, str]
) -> None:
    """`iop --test Python.KafkaDemoBO --classname kafka_demo.msg.KafkaTestMessage
    --body '{"name": "test", "price": 10}'`: IoP builds an IOP.Message by class name."""
    bo = KafkaDemoBO()
    bo.kafka_broker = kafka_bootstrap
    bo.topic = topics["topic"]
    request = iris.cls("IOP.Message")._New()
    request.classname = "kafka_demo.msg.KafkaTestMessage"
    request.json = '{"name": "test", "price": 10}'
    bo._dispatch_on_init(None)
    sent = dispatch_deserializer(bo._dispatch_on_message(request))
    bo.on_tear_down()
    (record,) = read_topic(kafka_bootstrap, topics["topic"], expected=1)
    assert json.loads(record.value) == {"name": "test", "price": 10.0}
    assert (sent.topic, sent.offset) == (topics["topic"], record.offset)


@pytest.fixture
def storage_bo(tmp_path: Path) -> LocalStorageBO:
    bo = LocalStorageBO()
    bo.connection_string = f"sqlite:///{tmp_path / 'products.db'}"
    return bo


@pytest.mark.parametrize(
    ("handler", "message_class", "route"),
    [
        ("on_product_sql_message", ProductSQLMessage, "sql"),
        ("on_product_sqlalchemy_message", ProductSQLAlchemyMessage, "sqlalchemy"),
        ("on_product_message", ProductMessage, "sqlalchemy"),
    ],
)
def test_a_sql_storage_handler_writes_the_row(
    storage_bo: LocalStorageBO, tmp_path: Path, handler: str, message_class: type, route: str
) -> None:
    reply = getattr(storage_bo, handler)(message_class(name="test", price=10.5))
    storage_bo.on_tear_down()
    assert reply == ProductStored(route=route, id=1)
    assert stored_rows(tmp_path / "products.db") == [("test", "10.50")]


def test_the_iris_orm_handler_saves_a_user_product(
    storage_bo: LocalStorageBO, product_class: ProductClass
) -> None:
    """The README's `iris.cls('User.product')._New()` ... `_Save()`, at the one IRIS seam."""
    reply = storage_bo.on_product_iris_message(ProductIRISMessage(name="test", price=10.5))
    storage_bo.on_tear_down()
    assert reply == ProductStored(route="iris", id=1)
    assert product_class.saved == [(1, "test", Decimal("10.5"))]


def test_the_readmes_sqlalchemy_model_stores_a_row(tmp_path: Path) -> None:
    """The README's `ProductModel(name=msg.name, price=msg.price)`, added in a Session."""
    engine = storage.open_engine(f"sqlite:///{tmp_path / 'products.db'}")
    message = ProductMessage(name="test", price=10.5)
    with Session(engine) as session:
        session.add(ProductModel(name=message.name, price=message.price))
        session.commit()
    engine.dispose()
    assert stored_rows(tmp_path / "products.db") == [("test", "10.50")]
