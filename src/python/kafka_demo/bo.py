"""The operations: storing products, and publishing to Kafka."""

from typing import Any

from iop import BusinessOperation, setting
from kafka import KafkaProducer
from sqlalchemy import Engine

from kafka_demo import rules, storage
from kafka_demo.kafka_clients import open_producer
from kafka_demo.msg import (
    KafkaDeadLetterMessage,
    KafkaRecordSent,
    KafkaTestMessage,
    ProductIRISMessage,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
)
from kafka_demo.product import Product


def _valid(message: Product) -> Product:
    """IoP does not check field types on receipt, so a message sent by hand may hold anything."""
    return rules.validate_product({"name": message.name, "price": message.price})


class LocalStorageBO(BusinessOperation):
    """Stores a product by the route its message names; a failure is an error on that message.

    "Local" is the original demo's name, kept with its IRIS name Python.LocalStorageBO
    because the original's code and tests use it: the storage local to IRIS, the
    namespace's own database, as opposed to Kafka. It is not about the local mode
    (kafka_demo.local_mode), where the same class stores into SQLite.
    """

    connection_string = setting(
        "iris+emb:///IRISAPP",
        description="SQLAlchemy URL of the database (iris+emb:///IRISAPP inside IRIS).",
    )

    def on_init(self) -> None:
        self._engine: Engine | None = None

    def on_tear_down(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def on_product_sql_message(self, request: ProductSQLMessage) -> ProductStored:
        row_id = storage.insert_with_sql(self._database(), _valid(request))
        return ProductStored(route=rules.ROUTE_SQL, id=row_id)

    def on_product_iris_message(self, request: ProductIRISMessage) -> ProductStored:
        self._database()  # the table, and so its class User.product, exists from here on
        row_id = storage.insert_with_iris_orm(_valid(request))
        return ProductStored(route=rules.ROUTE_IRIS, id=row_id)

    def on_product_sqlalchemy_message(self, request: ProductSQLAlchemyMessage) -> ProductStored:
        row_id = storage.insert_with_sqlalchemy(self._database(), _valid(request))
        return ProductStored(route=rules.ROUTE_SQLALCHEMY, id=row_id)

    def _database(self) -> Engine:
        """Opened on first use, so a database that is down at start only fails its messages."""
        if self._engine is None:
            self._engine = storage.open_engine(str(self.connection_string))
        return self._engine


class KafkaDemoBO(BusinessOperation):
    """Publishes products (KafkaTestMessage) to the topic and dead letters to the DLQ topic."""

    kafka_broker = setting("kafka:9092", description="Comma-separated bootstrap servers.")
    topic = setting("kafka_demo", description="Topic that product records are published to.")
    dlq_topic = setting("kafka_demo.dlq", description="Topic that dead letters go to.")
    timeout = setting(10.0, description="Seconds to wait for the broker to acknowledge a record.")

    def on_init(self) -> None:
        self._producer: KafkaProducer | None = None

    def on_tear_down(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=float(self.timeout))

    def on_kafka_test_message(self, request: KafkaTestMessage) -> KafkaRecordSent:
        return self._send(str(self.topic), rules.product_to_json(_valid(request)))

    def on_kafka_dead_letter_message(self, request: KafkaDeadLetterMessage) -> KafkaRecordSent:
        return self._send(str(self.dlq_topic), request.payload(), dead_letter_headers(request))

    def _send(
        self, topic: str, value: bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> KafkaRecordSent:
        """Send and wait for the acknowledgement, so a failure is an error on this message."""
        if self._producer is None:
            self._producer = open_producer(kafka_broker=str(self.kafka_broker))
        future = self._producer.send(topic, value=value, headers=headers or [])
        metadata: Any = future.get(timeout=float(self.timeout))
        return KafkaRecordSent(
            topic=metadata.topic, partition=metadata.partition, offset=metadata.offset
        )


def dead_letter_headers(letter: KafkaDeadLetterMessage) -> list[tuple[str, bytes]]:
    """Why the record was refused and where it was, as Kafka headers beside its original bytes."""
    return [
        ("dlq.reason", letter.reason.encode("utf-8")),
        ("dlq.topic", letter.topic.encode("utf-8")),
        ("dlq.partition", str(letter.partition).encode("ascii")),
        ("dlq.offset", str(letter.offset).encode("ascii")),
    ]
