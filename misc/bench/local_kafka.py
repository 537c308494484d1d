"""The Kafka path as users run it: `kafka-demo local`, fed by an external producer.

The server is started as a user starts it (`kafka-demo local --port P --broker-port B
--db URL`, with its own embedded Tansu broker), from the source tree under test. Each
repetition produces N records from outside, with the clock started before the first
is sent and stopped when the local database holds all N: the drain rate of a backlog,
KafkaDemoBS's poller, the whole production and the SQLite commits included.
"""

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from http_load import serving, stop_process
from kafka import KafkaProducer
from kafka_io import PARTITIONS, product_values
from stats import wait_for

from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.broker.tansu import create_topics

BENCH_DIR = Path(__file__).resolve().parent

CLI = "kafka_demo.local_mode.cli.main"
TOPIC = "kafka_demo"
"""The topic `kafka-demo local` consumes (its default)."""


class LocalMode(NamedTuple):
    """A running `kafka-demo local`: its HTTP port, its broker, its process, its database."""

    port: int
    bootstrap: str
    pid: int
    db: Path


@contextmanager
def local_mode(
    src: Path,
    db_path: Path,
    log: Path,
    options: Sequence[str] = (),
    bootstrap: str | None = None,
) -> Iterator[LocalMode]:
    """`kafka-demo local` from `src` until the block ends, with its own broker, or on the
    running broker at `bootstrap` (--bootstrap); `options` are added to its command line
    (--durability, --pool-size).

    Ready once a first record is stored: KafkaDemoBS has joined its group."""
    port = free_port()
    command = [sys.executable, "-m", CLI, "local", "--port", str(port)]
    if bootstrap is None:
        broker_port = free_port()
        bootstrap = f"127.0.0.1:{broker_port}"
        command += ["--broker-port", str(broker_port)]
    else:
        command += ["--bootstrap", bootstrap]
    command += ["--db", f"sqlite:///{db_path}", *options]
    with serving(command, {"PYTHONPATH": str(src)}, port, log) as process:
        wait_for_join(bootstrap, db_path)
        yield LocalMode(port, bootstrap, process.pid, db_path)


@contextmanager
def handwritten_consumer(
    bootstrap: str, topic: str, db_path: Path, durability: str, log: Path
) -> Iterator[None]:
    """handwritten.py on `topic` of that broker, in a process of its own, joined and ready."""
    create_topics(bootstrap, {topic: PARTITIONS})
    command = [sys.executable, str(BENCH_DIR / "handwritten.py"), "--bootstrap", bootstrap]
    command += ["--topic", topic, "--db", str(db_path), "--durability", durability]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            joined = product_values(1, "join")
            produce_and_wait(bootstrap, lambda: stored(db_path), joined, 60, topic)
            yield
        finally:
            stop_process(process)


def stored(db_path: Path) -> int:
    try:
        with sqlite3.connect(db_path, timeout=30) as connection:
            return connection.execute("SELECT count(*) FROM product").fetchone()[0]
    except sqlite3.OperationalError:  # the BO creates the table on its first message
        return 0


def produce_and_wait(
    bootstrap: str,
    count: Callable[[], int],
    values: list[bytes],
    timeout: float,
    topic: str = TOPIC,
    step: float = 0.01,
) -> float:
    """Seconds from the first record sent until `count()`, the rows stored, has grown by all."""
    target = count() + len(values)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    started = time.perf_counter()
    for value in values:
        producer.send(topic, value)
    producer.flush()
    wait_for(lambda: count() >= target, timeout, "all records stored", step=step)
    elapsed = time.perf_counter() - started
    producer.close()
    return elapsed


def wait_for_join(bootstrap: str, db_path: Path) -> None:
    """KafkaDemoBS has joined its group once a first record is stored."""
    produce_and_wait(bootstrap, lambda: stored(db_path), product_values(1, "join"), 60)


def drain_rate(bootstrap: str, db_path: Path, records: int, tag: str, topic: str = TOPIC) -> float:
    """Records/s of one drain of `records` produced from outside."""
    values = product_values(records, tag)
    return records / produce_and_wait(bootstrap, lambda: stored(db_path), values, 600, topic)
