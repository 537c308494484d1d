"""Components built plainly work when a test calls their handlers, and on_init still checks
the settings, so that in IRIS a bad one stops the item at start."""

from decimal import Decimal
from pathlib import Path
from unittest.mock import MagicMock

import pytest

from kafka_demo.bo import KafkaDemoBO, LocalStorageBO
from kafka_demo.bp import KafkaDemoBP
from kafka_demo.bs import KafkaDemoBS
from kafka_demo.msg import KafkaRawMessage, ProductSQLMessage, ProductStored
from tests.support.hosts import RecordingHandle, build_component
from tests.support.storage import stored_rows


def test_a_plain_bp_uses_its_storage_routes_setting_on_first_use() -> None:
    bp = KafkaDemoBP()
    bp.storage_routes = "sql"
    bp.send_request_sync = MagicMock(return_value=ProductStored(route="sql", id=1))
    reply = bp.on_kafka_raw_message(KafkaRawMessage(b'{"name": "a", "price": 2}'))
    assert reply == ProductStored(route="sql", id=1)
    bp.send_request_sync.assert_called_once_with(
        "Python.LocalStorageBO", ProductSQLMessage("a", Decimal("2"))
    )


def test_a_plain_bp_follows_a_setting_changed_after_its_first_message() -> None:
    bp = KafkaDemoBP()
    bp.send_request_sync = MagicMock()
    for routes in ("sql", "iris", "sqlalchemy"):
        bp.storage_routes = routes
        bp.on_kafka_raw_message(KafkaRawMessage(b'{"name": "a", "price": 2}'))
    sent = [type(call.args[1]).__name__ for call in bp.send_request_sync.call_args_list]
    assert sent == ["ProductSQLMessage", "ProductIRISMessage", "ProductSQLAlchemyMessage"]


def test_a_plain_bp_with_a_bad_route_fails_its_message_with_the_reason() -> None:
    bp = KafkaDemoBP()
    bp.storage_routes = "mongo"
    bp.send_request_sync = MagicMock()
    with pytest.raises(ValueError, match="storage_routes must name one or more of"):
        bp.on_kafka_raw_message(KafkaRawMessage(b'{"name": "a", "price": 2}'))
    bp.send_request_sync.assert_not_called()


def test_a_plain_storage_bo_opens_its_database_on_first_use(tmp_path: Path) -> None:
    bo = LocalStorageBO()
    bo.connection_string = f"sqlite:///{tmp_path / 'p.db'}"
    assert bo.on_product_sql_message(ProductSQLMessage("a", 1)) == ProductStored(route="sql", id=1)
    bo.on_tear_down()
    assert stored_rows(tmp_path / "p.db") == [("a", "1.00")]


def test_plain_components_tear_down_cleanly_before_first_use() -> None:
    """Nothing was opened, so nothing is closed, and nothing fails."""
    storage, producer, consumer = LocalStorageBO(), KafkaDemoBO(), KafkaDemoBS()
    for component in (storage, producer, consumer):
        component.on_tear_down()
    assert (storage._engine, producer._producer, consumer._consumer) == (None, None, None)


@pytest.mark.parametrize(
    ("component", "settings", "error"),
    [
        (KafkaDemoBP, {"storage_routes": "sql,mongo"}, "storage_routes must name one or more"),
        (KafkaDemoBP, {"storage_routes": " , "}, "storage_routes must name one or more"),
        (LocalStorageBO, {"connection_string": "not a url"}, "connection_string is not a usable"),
        (LocalStorageBO, {"connection_string": "nosuchdb://x"}, "nosuchdb"),
        (KafkaDemoBO, {"kafka_broker": " , "}, "kafka_broker must name at least one host:port"),
        (KafkaDemoBO, {"timeout": "soon"}, "timeout must be a number of seconds, not 'soon'"),
        (KafkaDemoBO, {"timeout": "-1"}, "timeout must be a finite number of seconds"),
        (KafkaDemoBS, {"kafka_broker": ""}, "kafka_broker must name at least one host:port"),
        (KafkaDemoBS, {"timeout": "inf"}, "timeout must be a finite number of seconds"),
        (KafkaDemoBS, {"max_poll_records": "0"}, "max_poll_records must be 1 or more"),
        (KafkaDemoBS, {"max_poll_interval_ms": "5s"}, "max_poll_interval_ms must be a whole"),
    ],
)
def test_on_init_stops_a_component_with_a_bad_setting(
    component: type, settings: dict[str, str], error: str
) -> None:
    """build_component runs IoP's _dispatch_on_init, as IRIS does when it starts an item."""
    with pytest.raises(ValueError, match=error):
        build_component(component, RecordingHandle(), **settings)


@pytest.mark.parametrize("component", [KafkaDemoBP, LocalStorageBO, KafkaDemoBO, KafkaDemoBS])
def test_on_init_accepts_the_default_settings_without_opening_anything(component: type) -> None:
    started = build_component(component, RecordingHandle())
    assert [getattr(started, name, None) for name in ("_engine", "_producer", "_consumer")] == [
        None,
        None,
        None,
    ]
