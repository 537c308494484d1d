"""The raw parts alone: kafka-python consuming, and SQLite inserting one row per commit."""

import time
from itertools import count

from kafka_io import joined_consumer, new_topic, produce, product_values
from sqlalchemy import create_engine

from kafka_demo.local_mode.database import open_database
from kafka_demo.models import Base

_runs = count(1)


def consume_rate(bootstrap: str, records: int) -> float:
    """Records/s of a joined consumer draining `records` (poll, then commit each batch)."""
    run = next(_runs)
    topic = new_topic(bootstrap, f"bench_consume_{run}")
    consumer = joined_consumer(bootstrap, topic, f"bench-consume-{run}")
    try:
        produce(bootstrap, topic, product_values(records, "consume"))
        seen = 0
        started = time.perf_counter()
        while seen < records:
            batch = consumer.poll(timeout_ms=1000)
            seen += sum(len(found) for found in batch.values())
            if batch:
                consumer.commit()
        return records / (time.perf_counter() - started)
    finally:
        consumer.close()


def prepare_database(db_url: str, durability: str = "normal") -> None:
    """The table, in a file left in WAL mode as the local mode leaves it; every engine of this
    process on that file then commits with `durability`, as the local mode's do."""
    # The ignore: `durability` is run.py's checked command-line string, and open_database
    # takes the Literal of its two values.
    engine = open_database(db_url, durability)  # type: ignore[arg-type]
    Base.metadata.create_all(engine, checkfirst=True)
    engine.dispose()


def insert_rate(db_url: str, rows: int, durability: str = "normal") -> float:
    """Rows/s of plain DBAPI inserts, one commit each, on an engine made as the BO makes it."""
    prepare_database(db_url, durability)
    engine = create_engine(db_url)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        for i in range(rows):
            cursor.execute("INSERT INTO product (name, price) VALUES (?, ?)", (f"raw {i}", 1.5))
            connection.commit()
        return rows / (time.perf_counter() - started)
    finally:
        connection.close()
        engine.dispose()
