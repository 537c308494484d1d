"""The call of the original demo's tests/kafka_demo/test_bp.py, with its effect asserted."""

from decimal import Decimal
from unittest.mock import MagicMock

from kafka_demo.bp import KafkaDemoBP
from kafka_demo.msg import (
    KafkaRawMessage,
    ProductIRISMessage,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
)


class TestKafkaDemoBp:
    def test_on_kafka_raw_message(self) -> None:
        kafka_demo_bp = KafkaDemoBP()
        kafka_demo_bp.send_request_sync = MagicMock()
        kafka_demo_bp.on_kafka_raw_message(KafkaRawMessage(b'{"name": "test", "price": 1.0}'))
        (call,) = kafka_demo_bp.send_request_sync.call_args_list
        target, message = call.args
        assert target == "Python.LocalStorageBO"
        assert type(message) in (ProductSQLMessage, ProductIRISMessage, ProductSQLAlchemyMessage)
        assert (message.name, message.price) == ("test", Decimal("1.0"))
