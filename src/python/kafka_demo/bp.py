"""KafkaDemoBP: the one place where the business rules for product events run."""

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from iop import BusinessProcess, setting, target

from kafka_demo import defaults, rules
from kafka_demo.kafka_io.iris_adapter import raw_message_from_iris_kafka
from kafka_demo.msg import (
    KafkaDeadLetterMessage,
    KafkaRawMessage,
    ProductIRISMessage,
    ProductNotStored,
    ProductRejected,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
)
from kafka_demo.product import Product

if TYPE_CHECKING:
    import iris  # only inside IRIS; named by the annotation IoP dispatches on

STORAGE_MESSAGES = {
    rules.ROUTE_SQL: ProductSQLMessage,
    rules.ROUTE_IRIS: ProductIRISMessage,
    rules.ROUTE_SQLALCHEMY: ProductSQLAlchemyMessage,
}
"""The message that asks LocalStorageBO to store a product by each route of rules.ALL_ROUTES.
A new route also needs its message class (msg.py), its handler (bo.py) and its insert
(storage.py); tests/kafka_demo/test_bo.py checks that the five agree. The image build stores
by each route (misc/deploy/iris/build.sh's route_messages, checked by tests/static)."""


class KafkaDemoBP(BusinessProcess):
    """Decode, parse and validate each event into a Product, then store it by one route.

    An event that is not a valid product, or that the table refuses for good (LocalStorageBO
    answers ProductNotStored), is answered with ProductRejected; when it came from Kafka it
    also goes, original bytes, key and reason, to the dead-letter topic through DeadLetter, so
    nothing is lost and the partition moves on. A storage failure that may pass (the database
    away) stays an error, for a resend.
    """

    storage_routes = setting(
        ",".join(rules.ALL_ROUTES),
        description="Storage routes to pick from at random (sql, iris, sqlalchemy); "
        "name one to fix the route.",
    )
    Storage = target(defaults.LOCAL_STORAGE_BO)
    DeadLetter = target(defaults.KAFKA_DEMO_BO)

    def on_init(self) -> None:
        """A bad setting stops the BP at start, as a bad setting of any component here does.

        IoP's OnInit turns an exception from on_init into an error %Status
        (IOP/Common.cls, OnInit), and IRIS does not start a business host whose
        OnInit returns an error (Ens.Host's OnInit callback); the latter is
        not checked here, where no IRIS runs.
        """
        _parsed_routes(str(self.storage_routes))

    def on_kafka_raw_message(self, request: KafkaRawMessage) -> ProductStored | ProductRejected:
        raw = request.payload()
        try:
            product = rules.product_from_bytes(raw)
        except rules.InvalidProduct as error:
            return self._reject(request, error.reason, error.field or "")
        answer = self._send_to_storage(product, rules.kafka_source(request, raw))
        if isinstance(answer, ProductNotStored):
            return self._reject(request, answer.reason)
        return answer

    def on_iris_kafka_message(self, request: "iris.EnsLib.Kafka.Message") -> Any:
        """A record from IRIS's own Kafka adapter: same rules, same outcome."""
        return self.on_kafka_raw_message(raw_message_from_iris_kafka(request))

    def _send_to_storage(self, product: Product, source: str) -> ProductStored | ProductNotStored:
        route = rules.choose_route(_parsed_routes(str(self.storage_routes)))
        message = STORAGE_MESSAGES[route](name=product.name, price=product.price, source=source)
        return self.send_request_sync(self.Storage, message)

    def _reject(self, request: KafkaRawMessage, reason: str, field: str = "") -> ProductRejected:
        """An input that can never be stored: refused by the rules, or by the table for good.
        A Kafka record goes to the dead-letter topic, so it ends stored or dead-lettered."""
        self.log_warning(f"Rejected the event from {request.origin_text()}: {reason}")
        if request.is_kafka_record():
            self.send_request_sync(
                self.DeadLetter, KafkaDeadLetterMessage.for_record(request, reason)
            )
        return ProductRejected(reason=reason, field=field)


@lru_cache(maxsize=16)
def _parsed_routes(setting: str) -> tuple[str, ...]:
    """The `storage_routes` setting, parsed once per value; the BP keeps no state of its own,
    so a handler works on a BP whose on_init never ran (as in a unit test)."""
    return rules.parse_routes(setting)
