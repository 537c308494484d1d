"""The consumer a user would write by hand: kafka-python into SQLite, one commit per row.

No production, no rules, no trace: poll, parse the JSON, insert the row and commit
it, then commit the batch's offsets to Kafka. The SQLite file is in WAL mode with
the `synchronous` of the durability given, as the local mode's. Run by run.py as a
process of its own, on the same broker as `kafka-demo local`, until it is stopped:

    python misc/bench/handwritten.py --bootstrap HOST:PORT --topic T --db PATH --durability normal
"""

import argparse
import json
import signal
import sqlite3
import sys
from typing import Any

from kafka import KafkaConsumer

SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}


def open_database(path: str, durability: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={SYNCHRONOUS[durability]}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS product (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL,"
        " price NUMERIC(10, 2) NOT NULL, source VARCHAR(300) UNIQUE)"
    )
    connection.commit()
    return connection


def consume(args: argparse.Namespace) -> None:
    database = open_database(args.db, args.durability)
    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=f"handwritten-{args.topic}",
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
                    product = json.loads(record.value)
                    source = f"kafka:{record.topic}/{record.partition}/{record.offset}"
                    database.execute(
                        "INSERT INTO product (name, price, source) VALUES (?, ?, ?)",
                        (product["name"], str(product["price"]), source),
                    )
                    database.commit()
            if batch:
                consumer.commit()
    finally:
        consumer.close()
        database.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--db", required=True, help="path of the SQLite file")
    parser.add_argument("--durability", choices=sorted(SYNCHRONOUS), default="normal")
    consume(parser.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
