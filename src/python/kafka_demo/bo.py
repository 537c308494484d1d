"""The operations: storing products, and publishing to Kafka."""

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from iop import BusinessOperation, setting
from kafka import KafkaProducer
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import ArgumentError

from kafka_demo import defaults, rules, storage, storage_driver
from kafka_demo.kafka_io.clients import (
    RECORD_OVERHEAD_BYTES,
    bootstrap_servers,
    fetch_record_limits,
    open_producer,
    request_size_for,
    seconds_setting,
)
from kafka_demo.msg import (
    KafkaDeadLetterMessage,
    KafkaRecordSent,
    KafkaTestMessage,
    ProductIRISMessage,
    ProductMessage,
    ProductNotStored,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
)
from kafka_demo.product import Product

StorageAnswer = ProductStored | ProductNotStored


class _ProductFields(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def price(self) -> Decimal: ...


class _ProductToStore(_ProductFields, Protocol):
    @property
    def source(self) -> str: ...


def _valid(message: _ProductFields) -> Product:
    """The rules again: IoP checks a message's field types on receipt (its pydantic model),
    but not the business rules, which a message sent by hand (not through the BP) may break."""
    return rules.validate_product({"name": message.name, "price": message.price})


class LocalStorageBO(BusinessOperation):
    """Stores a product by the route its message names; a failure is an error on that message.

    "Local" is the original demo's name, kept with its IRIS name Python.LocalStorageBO
    because the original's code and tests use it: the storage local to IRIS, the
    namespace's own database, as opposed to Kafka. It is not about the local mode
    (kafka_demo.local_mode), where the same class stores into SQLite.

    A product whose source is already stored is answered with that row's id, adding no row; one
    the table refuses for good, with ProductNotStored and the reason.
    The engine opens on first use, so the handlers work without on_init (as in a unit test).
    Each job (each object, one per PoolSize slot) holds one connection from then on, and
    runs each message's one transaction on it (see kafka_demo.storage).
    """

    connection_string = setting(
        defaults.CONNECTION_STRING,
        description=f"SQLAlchemy URL of the database ({defaults.CONNECTION_STRING} inside IRIS).",
    )
    _engine: Engine | None = None
    _connection: Connection | None = None

    def on_init(self) -> None:
        """A malformed URL, an unknown dialect or a driver without its DB-API in this process
        stops the BO at start; a database that is down only fails its messages."""
        try:
            storage_driver.require_dbapi(str(self.connection_string))
        except ArgumentError as error:  # the URL is not echoed: it may hold a password
            raise ValueError(f"connection_string is not a usable SQLAlchemy URL: {error}") from None

    def on_tear_down(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()

    def on_product_sql_message(self, request: ProductSQLMessage) -> StorageAnswer:
        return self._store(rules.ROUTE_SQL, storage.insert_with_sql, request)

    def on_product_iris_message(self, request: ProductIRISMessage) -> StorageAnswer:
        # The table, and so its class User.product, exists from here on.
        return self._store(rules.ROUTE_IRIS, storage.insert_with_iris_orm, request)

    def on_product_sqlalchemy_message(self, request: ProductSQLAlchemyMessage) -> StorageAnswer:
        return self._store(rules.ROUTE_SQLALCHEMY, storage.insert_with_sqlalchemy, request)

    def on_product_message(self, request: ProductMessage) -> StorageAnswer:
        """The original demo's name for the SQLAlchemy route (IoP dispatches on exact classes)."""
        return self.on_product_sqlalchemy_message(request)

    def _store(
        self,
        route: str,
        insert: Callable[[Connection, Product, str], int],
        request: _ProductToStore,
    ) -> StorageAnswer:
        """A product the table refuses for good is answered with ProductNotStored; any other
        failure (the database away, locked) stays an error on this message, for a resend."""
        try:
            row_id = insert(self._database(), _valid(request), request.source)
        except storage.NeverStorable as refused:
            return ProductNotStored(reason=str(refused))
        return ProductStored(route=route, id=row_id)

    def _database(self) -> Connection:
        """Opened on first use, so a database that is down at start only fails its messages.

        A connection that the database dropped is opened again by SQLAlchemy on its next use
        (an invalidated Connection reconnects); a failed open leaves none, for the next message.
        """
        if self._engine is None:
            self._engine = storage.open_engine(str(self.connection_string))
        if self._connection is None or self._connection.closed:
            self._connection = self._engine.connect()
        return self._connection


class KafkaDemoBO(BusinessOperation):
    """Publishes products (KafkaTestMessage) to the topic and dead letters to the DLQ topic."""

    kafka_broker = setting(defaults.KAFKA_BROKER, description="Comma-separated bootstrap servers.")
    topic = setting(defaults.TOPIC, description="Topic that product records are published to.")
    dlq_topic = setting(defaults.DLQ_TOPIC, description="Topic that dead letters go to.")
    timeout = setting(10.0, description="Seconds to wait for the broker to acknowledge a record.")
    _producer: KafkaProducer | None = None

    def on_init(self) -> None:
        """A bad setting stops the BO at start; the producer opens on first use, so the
        handlers work without on_init (as in a unit test)."""
        bootstrap_servers(self.kafka_broker)
        self._timeout()

    def on_tear_down(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=self._timeout())

    def on_kafka_test_message(self, request: KafkaTestMessage) -> KafkaRecordSent:
        """Each product record gets a key of its own, which with its value names it on both
        consumers (rules.kafka_source): the record is stored once, whichever of them reads it."""
        return self._send(
            str(self.topic), rules.product_to_json(_valid(request)), key=new_record_key()
        )

    def on_kafka_dead_letter_message(self, request: KafkaDeadLetterMessage) -> KafkaRecordSent:
        """The original record's key goes with it, so a record put back from the dead-letter
        topic is still the same record."""
        return self._send(
            str(self.dlq_topic), request.payload(), dead_letter_headers(request), request.key
        )

    def _send(
        self,
        topic: str,
        value: bytes,
        headers: list[tuple[str, bytes]] | None = None,
        key: str = "",
    ) -> KafkaRecordSent:
        """Send and wait for the acknowledgement, so a failure is an error on this message."""
        if self._producer is None:
            self._producer = self._open_producer()
        future = self._producer.send(
            topic, value=value, key=key.encode("utf-8") if key else None, headers=headers or []
        )
        metadata: Any = future.get(timeout=self._timeout())
        return KafkaRecordSent(
            topic=metadata.topic, partition=metadata.partition, offset=metadata.offset
        )

    def _timeout(self) -> float:
        return seconds_setting("timeout", self.timeout)

    def _open_producer(self) -> KafkaProducer:
        """Sized from the topics' limits, so any record the topic holds fits as a dead letter."""
        topics = [str(self.topic), str(self.dlq_topic)]
        limits = fetch_record_limits(self.kafka_broker, topics)
        source, dlq = limits.of(topics[0]), limits.of(topics[1])
        if source is not None and dlq is not None and dlq < source + RECORD_OVERHEAD_BYTES:
            self.log_warning(
                f"{topics[1]} takes records up to {dlq} bytes, {topics[0]} up to {source}: "
                f"a dead letter of its largest records would be refused; set {topics[1]}'s "
                f"max.message.bytes to {source + RECORD_OVERHEAD_BYTES} or more"
            )
        return open_producer(
            kafka_broker=self.kafka_broker, max_request_size=request_size_for(limits, topics)
        )


def new_record_key() -> str:
    """A key no other record has: a random UUID (122 random bits), in its lowercase text form,
    which the rules keep as it is."""
    return str(uuid.uuid4())


def dead_letter_headers(letter: KafkaDeadLetterMessage) -> list[tuple[str, bytes]]:
    """Why the record was refused and where it was, as Kafka headers beside its original bytes."""
    return [
        ("dlq.reason", letter.reason.encode("utf-8")),
        ("dlq.topic", letter.topic.encode("utf-8")),
        ("dlq.partition", str(letter.partition).encode("ascii")),
        ("dlq.offset", str(letter.offset).encode("ascii")),
    ]
