"""KafkaDemoBP: the one place where the business rules for product events run."""

from typing import Any

from iop import BusinessProcess, setting, target

from kafka_demo import rules
from kafka_demo.iris_kafka import raw_message_from_iris_kafka
from kafka_demo.msg import (
    KafkaDeadLetterMessage,
    KafkaRawMessage,
    ProductIRISMessage,
    ProductRejected,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
)
from kafka_demo.product import Product

STORAGE_MESSAGES = {
    rules.ROUTE_SQL: ProductSQLMessage,
    rules.ROUTE_IRIS: ProductIRISMessage,
    rules.ROUTE_SQLALCHEMY: ProductSQLAlchemyMessage,
}


class KafkaDemoBP(BusinessProcess):
    """Decode, parse and validate each event into a Product, then store it by one route.

    An event that is not a valid product is answered with ProductRejected; when it
    came from Kafka it also goes, original bytes and reason, to the dead-letter
    topic through DeadLetter, so nothing is lost and the partition moves on.
    """

    storage_routes = setting(
        ",".join(rules.ALL_ROUTES),
        description="Storage routes to pick from at random (sql, iris, sqlalchemy); "
        "name one to fix the route.",
    )
    Storage = target("Python.LocalStorageBO")
    DeadLetter = target("Python.KafkaDemoBO")

    def on_init(self) -> None:
        self._routes = rules.parse_routes(str(self.storage_routes))

    def on_kafka_raw_message(self, request: KafkaRawMessage) -> ProductStored | ProductRejected:
        try:
            product = rules.product_from_bytes(request.payload())
        except rules.InvalidProduct as error:
            return self._reject(request, error)
        return self._store(
            product, rules.kafka_source(request.topic, request.partition, request.offset)
        )

    def on_iris_kafka_message(self, request: "iris.EnsLib.Kafka.Message") -> Any:  # noqa: F821
        """A record from IRIS's own Kafka adapter: same rules, same outcome."""
        return self.on_kafka_raw_message(raw_message_from_iris_kafka(request))

    def _store(self, product: Product, source: str) -> ProductStored:
        route = rules.choose_route(self._routes)
        message = STORAGE_MESSAGES[route](name=product.name, price=product.price, source=source)
        return self.send_request_sync(self.Storage, message)

    def _reject(self, request: KafkaRawMessage, error: rules.InvalidProduct) -> ProductRejected:
        self.log_warning(f"Rejected the event from {request.origin()}: {error.reason}")
        if request.is_kafka_record():
            self.send_request_sync(
                self.DeadLetter, KafkaDeadLetterMessage.for_record(request, error.reason)
            )
        return ProductRejected(reason=error.reason, field=error.field or "")
