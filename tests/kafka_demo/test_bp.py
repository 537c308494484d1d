"""KafkaDemoBP through IoP's dispatch: what it sends, to whom, and what it answers."""

import random
from decimal import Decimal
from typing import Any

import pytest
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer

from kafka_demo import rules
from kafka_demo.bp import KafkaDemoBP
from kafka_demo.local_mode.iris.iris_kafka_service import KafkaMessage
from kafka_demo.local_mode.iris.iris_standin import IrisObject, IrisStandIn
from kafka_demo.msg import (
    KafkaDeadLetterMessage,
    KafkaRawMessage,
    ProductIRISMessage,
    ProductNotStored,
    ProductRejected,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
    RecordOrigin,
)
from tests.support.hosts import RecordingHandle, Send, build_component
from tests.support.kafka import TANSU_TOPIC_ID, tansu_origin


def storage_answers(target: str, message: Any) -> Any:
    if target == "Python.LocalStorageBO":
        return ProductStored(route=type(message).__name__, id=7)
    return None


def run_bp(request: Any, **settings: Any) -> tuple[Any, list[Send]]:
    handle = RecordingHandle(answer=storage_answers)
    bp = build_component(KafkaDemoBP, handle, **settings)
    serial = request if isinstance(request, IrisObject) else dispatch_serializer(request)
    reply = dispatch_deserializer(bp._dispatch_on_request(handle, serial))
    return reply, handle.sends


@pytest.mark.parametrize(
    ("route", "message_class"),
    [
        ("sql", ProductSQLMessage),
        ("iris", ProductIRISMessage),
        ("sqlalchemy", ProductSQLAlchemyMessage),
    ],
)
def test_a_valid_record_is_stored_by_the_fixed_route(route: str, message_class: type) -> None:
    reply, sends = run_bp(
        KafkaRawMessage.from_record(
            b'{"name": "apple", "price": 10.5}',
            tansu_origin(0, 3),
        ),
        storage_routes=route,
    )
    source = f"kafka:tansu_cluster/kafka_demo/{TANSU_TOPIC_ID}/0/3"
    assert sends == [
        Send(
            "sync",
            "Python.LocalStorageBO",
            message_class(name="apple", price=Decimal("10.50"), source=source),
        )
    ]
    assert reply == ProductStored(route=message_class.__name__, id=7)


def test_an_http_body_has_no_source_so_each_one_is_a_new_row() -> None:
    _, sends = run_bp(KafkaRawMessage(value=b'{"name": "a", "price": 1}'), storage_routes="sql")
    assert sends == [
        Send("sync", "Python.LocalStorageBO", ProductSQLMessage(name="a", price=Decimal("1")))
    ]
    assert sends[0].message.source == ""


def test_a_keyed_record_is_stored_under_its_topic_and_key_not_its_place() -> None:
    """The key the BS handed over reaches the storage message, so the record is stored once
    whichever consumer read it."""
    _, sends = run_bp(
        KafkaRawMessage.from_record(
            b'{"name": "apple", "price": 1}',
            tansu_origin(0, 3, key="order-17"),
        ),
        storage_routes="sql",
    )
    (send,) = sends
    assert send.message.source.startswith(rules.KAFKA_KEY_SOURCE_PREFIX)
    assert "kafka_demo/order-17" in send.message.source
    assert TANSU_TOPIC_ID not in send.message.source


def test_a_keyed_poison_record_is_dead_lettered_with_its_key() -> None:
    _, sends = run_bp(
        KafkaRawMessage.from_record(
            b"[]", RecordOrigin(topic="kafka_demo", partition=1, offset=5, key="order-18")
        ),
        storage_routes="sql",
    )
    (send,) = sends
    assert isinstance(send.message, KafkaDeadLetterMessage)
    assert (send.message.key, send.message.payload()) == ("order-18", b"[]")


def test_the_default_route_is_random_among_all_three(monkeypatch: pytest.MonkeyPatch) -> None:
    picked = []
    monkeypatch.setattr(random, "choice", lambda routes: picked.append(tuple(routes)) or routes[1])
    _, sends = run_bp(KafkaRawMessage(value=b'{"name": "a", "price": 1}'))
    assert picked == [("sql", "iris", "sqlalchemy")]
    assert type(sends[0].message) is ProductIRISMessage


def test_the_storage_target_is_a_setting() -> None:
    _, sends = run_bp(
        KafkaRawMessage(value=b'{"name": "a", "price": 1}'),
        storage_routes="sql",
        Storage="Other.BO",
    )
    assert [send.target for send in sends] == ["Other.BO"]


@pytest.mark.parametrize(
    ("payload", "reason", "field"),
    [
        (b"\xff\xfe", "payload is not valid UTF-8 (byte 0: b'\\xff')", ""),
        (
            b"{not json",
            "payload is not valid JSON "
            "(Expecting property name enclosed in double quotes at position 1)",
            "",
        ),
        (b'{"name": "a", "price": -1}', "price must not be negative", "price"),
        (b'{"name": "a", "price": "abc"}', "price must be a number, not a string", "price"),
        (b'{"name": "a", "price": 1.001}', "price must have at most 2 decimal places", "price"),
        (
            ('{"name": "' + "x" * 256 + '", "price": 1}').encode(),
            "name must be at most 255 characters, not 256",
            "name",
        ),
        (b'{"price": 1}', "name is required", "name"),
        (
            b'{"name": "\\ud800", "price": 1}',
            "name must be Unicode text, not a lone surrogate (\\ud800 at 0)",
            "name",
        ),
    ],
)
def test_a_poison_record_goes_to_the_dead_letter_target_with_its_bytes_and_reason(
    payload: bytes, reason: str, field: str, iris: IrisStandIn
) -> None:
    record = KafkaRawMessage.from_record(
        payload, RecordOrigin(topic="kafka_demo", partition=1, offset=42)
    )
    reply, sends = run_bp(record)
    assert reply == ProductRejected(reason=reason, field=field)
    assert len(sends) == 1
    letter = sends[0].message
    assert (sends[0].kind, sends[0].target) == ("sync", "Python.KafkaDemoBO")
    assert isinstance(letter, KafkaDeadLetterMessage)
    assert (letter.payload(), letter.reason, letter.topic, letter.partition, letter.offset) == (
        payload,
        reason,
        "kafka_demo",
        1,
        42,
    )
    assert iris.event_log.texts("Warning") == [
        f"Rejected the event from kafka_demo[1]@42: {reason}"
    ]


def test_an_invalid_http_body_is_answered_and_not_dead_lettered(iris: IrisStandIn) -> None:
    reply, sends = run_bp(KafkaRawMessage(value=b'{"name": "", "price": 1}'))
    assert reply == ProductRejected(reason="name must not be blank", field="name")
    assert sends == []
    assert iris.event_log.texts("Warning") == [
        "Rejected the event from HTTP request: name must not be blank"
    ]


def test_a_record_from_iris_kafka_adapter_follows_the_same_rules() -> None:
    reply, sends = run_bp(
        KafkaMessage("kafka_demo", '{"name": "pear", "price": 2.25}', ""), storage_routes="sql"
    )
    assert sends == [
        Send("sync", "Python.LocalStorageBO", ProductSQLMessage(name="pear", price=Decimal("2.25")))
    ]
    assert sends[0].message.source == "", "IRIS's adapter gives no partition or offset: no key"
    assert reply == ProductStored(route="ProductSQLMessage", id=7)


def test_a_poison_record_from_iris_kafka_adapter_is_dead_lettered_too() -> None:
    reply, sends = run_bp(KafkaMessage("kafka_demo", "[]", ""))
    assert reply == ProductRejected(reason="payload must be a JSON object, not an array", field="")
    assert sends[0].target == "Python.KafkaDemoBO"
    assert sends[0].message.payload() == b"[]"


def test_a_storage_failure_is_an_error_for_the_caller() -> None:
    def storage_fails(target: str, message: Any) -> Any:
        raise RuntimeError("ERROR #5002: database is locked")

    handle = RecordingHandle(answer=storage_fails)
    bp = build_component(KafkaDemoBP, handle, storage_routes="sql")
    with pytest.raises(RuntimeError, match="database is locked"):
        bp._dispatch_on_request(
            handle, dispatch_serializer(KafkaRawMessage(value=b'{"name": "a", "price": 1}'))
        )


def test_a_bad_storage_routes_setting_stops_the_bp_from_starting() -> None:
    with pytest.raises(ValueError) as raised:
        build_component(KafkaDemoBP, RecordingHandle(), storage_routes="sql,mongo")
    assert str(raised.value) == (
        "storage_routes must name one or more of sql, iris, sqlalchemy; got 'sql,mongo'"
    )


def test_built_with_no_production_around_it_the_bp_uses_the_class_defaults() -> None:
    bp = build_component(KafkaDemoBP, RecordingHandle())
    assert (bp.Storage, bp.DeadLetter, bp.storage_routes) == (
        "Python.LocalStorageBO",
        "Python.KafkaDemoBO",
        "sql,iris,sqlalchemy",
    )


REFUSAL = "the table refuses the product: CHECK constraint failed: price < 1000"


def storage_refuses(target: str, message: Any) -> Any:
    if target == "Python.LocalStorageBO":
        return ProductNotStored(reason=REFUSAL)
    return None


@pytest.mark.parametrize(
    "request_message",
    [
        KafkaRawMessage.from_record(
            b'{"name": "dear", "price": 5000}',
            RecordOrigin(topic="kafka_demo", partition=1, offset=9, key="k"),
        ),
        KafkaMessage("kafka_demo", '{"name": "dear", "price": 5000}', "k"),
    ],
    ids=["KafkaDemoBS", "EnsLib.Kafka.Service"],
)
def test_a_record_the_table_refuses_for_good_is_dead_lettered_with_its_key_and_bytes(
    request_message: Any, iris: IrisStandIn
) -> None:
    handle = RecordingHandle(answer=storage_refuses)
    bp = build_component(KafkaDemoBP, handle, storage_routes="sql")
    serial = (
        request_message
        if isinstance(request_message, IrisObject)
        else dispatch_serializer(request_message)
    )
    reply = dispatch_deserializer(bp._dispatch_on_request(handle, serial))

    assert reply == ProductRejected(reason=REFUSAL, field="")
    assert [(send.kind, send.target) for send in handle.sends] == [
        ("sync", "Python.LocalStorageBO"),
        ("sync", "Python.KafkaDemoBO"),
    ]
    letter = handle.sends[1].message
    assert isinstance(letter, KafkaDeadLetterMessage)
    assert (letter.payload(), letter.reason, letter.key, letter.topic) == (
        b'{"name": "dear", "price": 5000}',
        REFUSAL,
        "k",
        "kafka_demo",
    )
    assert len(iris.event_log.texts("Warning")) == 1


def test_an_http_body_the_table_refuses_is_answered_and_not_dead_lettered() -> None:
    handle = RecordingHandle(answer=storage_refuses)
    bp = build_component(KafkaDemoBP, handle, storage_routes="sql")
    serial = dispatch_serializer(KafkaRawMessage(value=b'{"name": "dear", "price": 5000}'))
    reply = dispatch_deserializer(bp._dispatch_on_request(handle, serial))
    assert reply == ProductRejected(reason=REFUSAL, field="")
    assert [send.target for send in handle.sends] == ["Python.LocalStorageBO"]
