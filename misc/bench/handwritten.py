"""The fair hand-written consumer, run by run.py until stopped (docs/performance.md)."""

import signal
import sys
from typing import Any

from kafka import KafkaConsumer
from sqlalchemy import Connection, Engine

from kafka_demo import rules, storage
from kafka_demo.kafka_io.consuming import record_origin
from kafka_demo.local_mode.database import open_database
from kafka_demo.local_mode.iris import iris_standin
from kafka_demo.local_mode.iris.persistent import PersistentClass
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE

WRITES = {
    rules.ROUTE_SQL: storage.insert_with_sql,
    rules.ROUTE_IRIS: storage.insert_with_iris_orm,
    rules.ROUTE_SQLALCHEMY: storage.insert_with_sqlalchemy,
}


def open_store(db_url: str, durability: str) -> Engine:
    """The product table's engine, and User.product's stand-in on the same file."""
    engine = open_database(db_url, durability)  # type: ignore[arg-type]  # a checked choice
    storage.create_product_table(engine)
    standin = iris_standin.IrisStandIn()
    standin.add_class(
        IRIS_PRODUCT_CLASS, PersistentClass(engine, PRODUCT_TABLE, IRIS_PRODUCT_CLASS)
    )
    iris_standin.install(standin)
    return engine


def store(connection: Connection, record: Any) -> None:
    """The rules, then one write at random; a record the rules refuse is skipped."""
    try:
        product = rules.product_from_bytes(record.value)
    except rules.InvalidProduct:
        return
    source = rules.kafka_source(record_origin(record), record.value)
    WRITES[rules.choose_route(rules.ALL_ROUTES)](connection, product, source)


def consume(bootstrap: str, topic: str, db_path: str, durability: str) -> None:
    connection = open_store(f"sqlite:///{db_path}", durability).connect()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"handwritten-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_interval_ms=1500,  # Tansu completes a join only after about this long
    )
    stopping: list[Any] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping:
            batch = consumer.poll(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    store(connection, record)
            if batch:
                consumer.commit()
    finally:
        consumer.close()
        connection.close()


if __name__ == "__main__":
    consume(*sys.argv[1:])
