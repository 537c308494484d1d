"""Where the Kafka path's time goes, and the storage routes' cost, in a process of their own.

The production runs in this process, driven by hand (OnProcessInput back to back, no
poller), so that each hop can be timed; the Kafka path's reported rate is measured on
`kafka-demo local` instead (local_kafka.py). Run by run.py with PYTHONPATH set to
the src/python under test (the working tree, or an older revision for the
before/after figures), so each revision is measured in the same run against the
same broker. Prints its figures as JSON on stdout.
"""

import argparse
import json
import logging
import sqlite3
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import baselines
from iop.messages.dispatch import dispatch_serializer
from kafka import KafkaConsumer
from kafka_io import PARTITIONS, new_topic, produce, product_values
from stopwatch import Stopwatch

from kafka_demo import storage
from kafka_demo.defaults import KAFKA_DEMO_BP, KAFKA_DEMO_BS, LOCAL_STORAGE_BO
from kafka_demo.kafka_io.offsets import GlobalOffsetStore
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.iris.runtime import LocalConfig, LocalRuntime
from kafka_demo.models import Base
from kafka_demo.msg import ProductIRISMessage, ProductSQLAlchemyMessage, ProductSQLMessage

MAX_POLL_INTERVAL_MS = 60_000
ROUTE_MESSAGES = {
    "sql": ProductSQLMessage,
    "iris": ProductIRISMessage,
    "sqlalchemy": ProductSQLAlchemyMessage,
}


def start_runtime(bootstrap: str, db_path: Path, run: str) -> LocalRuntime:
    """The production as `kafka-demo local` runs it (SqlTrace, SqlGlobals), minus the poller."""
    config = LocalConfig(
        db_url=f"sqlite:///{db_path}",
        bootstrap=bootstrap,
        topic=new_topic(bootstrap, f"bench_path_{run}"),
        dlq_topic=new_topic(bootstrap, f"bench_path_{run}.dlq"),
        group_id=f"bench-path-{run}",
        # A poll of 500 records must be handled within it, or the group evicts the consumer.
        max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
    )
    runtime = LocalRuntime(config, poll=False)
    Base.metadata.create_all(runtime.engine)  # what the BO does on its first message
    production = runtime.start()
    deadline = time.monotonic() + 30
    while len(_assignment(production)) < PARTITIONS:
        if time.monotonic() > deadline:
            raise TimeoutError("KafkaDemoBS did not join its group")
        production.process_input(KAFKA_DEMO_BS)
    return runtime


def _assignment(production: LocalProduction) -> set[Any]:
    consumer = production.component(KAFKA_DEMO_BS)._consumer
    return set() if consumer is None else consumer.assignment()


def stored(db_path: Path) -> int:
    with sqlite3.connect(db_path) as connection:
        return connection.execute("SELECT count(*) FROM product").fetchone()[0]


def drain(runtime: LocalRuntime, db_path: Path, records: int) -> float:
    """Produce `records`, then call OnProcessInput back to back until all are stored: records/s."""
    return records / drain_seconds(runtime, db_path, records)


def drain_seconds(runtime: LocalRuntime, db_path: Path, records: int) -> float:
    """Seconds from the first OnProcessInput to the return of the one that stored the last record.

    That call ends with an empty poll, which waits for new records up to the poll budget's
    rest: time `kafka-demo local` spends idle after the drain, not in it (local_kafka.py's
    clock stops at the last row). The instrumented drain reports that wait apart.
    """
    assert runtime.production is not None
    target = stored(db_path) + records
    produce(runtime.config.bootstrap, runtime.config.topic, product_values(records, "path"))
    started = time.perf_counter()
    while stored(db_path) < target:
        runtime.production.process_input(KAFKA_DEMO_BS)
    return time.perf_counter() - started


def instrument(production: LocalProduction, watch: Stopwatch) -> None:
    """Wrap (never change) the hops: router, trace, items, insert, offsets, Kafka client."""
    watch.patch(KafkaConsumer, "poll", "kafka poll", after=_empty_poll_apart)
    watch.patch(KafkaConsumer, "commit", "kafka commit")
    watch.patch(GlobalOffsetStore, "handed_over", "offset global")
    watch.patch(GlobalOffsetStore, "next_offset", "offset global")
    watch.patch(production, "deliver", lambda source, target, *_, **__: f"router -> {target}")
    for method in ("new_session", "record", "finish", "end_session", "flush", "transaction"):
        if hasattr(production.trace, method):
            watch.patch(production.trace, method, "trace writes")
    watch.patch(production.items[KAFKA_DEMO_BP], "receive", "KafkaDemoBP (IoP dispatch)")
    watch.patch(production.items[LOCAL_STORAGE_BO], "receive", "LocalStorageBO (IoP dispatch)")
    for route in ("insert_with_sql", "insert_with_iris_orm", "insert_with_sqlalchemy"):
        watch.patch(storage, route, "product insert")
    watch.patch(production, "process_input", "KafkaDemoBS (on_poll, hand-off)")


EMPTY_POLL = "kafka poll that found nothing (idle, after the drain)"


def _empty_poll_apart(label: str, batch: Any) -> str:
    """An empty poll waited for records that were not there: idle time, not the drain's."""
    return label if batch else EMPTY_POLL


def route_costs(runtime: LocalRuntime, rows: int, raw_db: Path) -> dict[str, float]:
    """Microseconds per row of each route, through LocalStorageBO's IoP dispatch, of that
    dispatch alone (the raw SQL route's message, its insert replaced by nothing), and of a
    raw insert measured just before them (the disk's commit time swings on a shared machine)."""
    assert runtime.production is not None
    bo = runtime.production.items[LOCAL_STORAGE_BO]
    costs = {"raw insert": 1e6 / baselines.insert_rate(f"sqlite:///{raw_db}", rows)}
    for route, message_class in ROUTE_MESSAGES.items():
        costs[route] = _us_per_message(bo, message_class, rows)
    insert = storage.insert_with_sql
    # The ignore: the route's insert is replaced by one of another signature, on purpose.
    storage.insert_with_sql = lambda *_: 0  # type: ignore[assignment]
    try:
        costs[DISPATCH_ALONE] = _us_per_message(bo, ProductSQLMessage, rows)
    finally:
        storage.insert_with_sql = insert
    return costs


DISPATCH_ALONE = "dispatch alone"


def _us_per_message(bo: Any, message_class: Any, rows: int) -> float:
    bo.receive(dispatch_serializer(message_class(name="warm", price=Decimal("1.50"))))
    started = time.perf_counter()
    for i in range(rows):
        bo.receive(dispatch_serializer(message_class(name=f"r{i}", price=Decimal("1.50"))))
    return (time.perf_counter() - started) / rows * 1e6


def measure(args: argparse.Namespace, runtime: LocalRuntime, db_path: Path) -> dict[str, Any]:
    """Repetitions of the drain and the routes, then one instrumented drain for the hops."""
    assert runtime.production is not None
    rates, routes = [], []
    for rep in range(args.reps):
        rates.append(drain(runtime, db_path, args.records))
        routes.append(route_costs(runtime, args.rows, db_path.with_name(f"raw_{rep}.db")))
    watch = Stopwatch()
    instrument(runtime.production, watch)
    elapsed = drain_seconds(runtime, db_path, args.records)
    idle = watch.seconds.pop(EMPTY_POLL, 0.0)
    return {
        "records_per_s": rates,
        "route_us": {route: [run[route] for run in routes] for route in routes[0]},
        "hop_us_per_record": {
            label: seconds / args.records * 1e6 for label, seconds in watch.seconds.items()
        },
        "instrumented_records_per_s": args.records / (elapsed - idle),
        "idle_after_drain_s": idle,
    }


def profile_drain(args: argparse.Namespace, runtime: LocalRuntime, db_path: Path) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    drain(runtime, db_path, args.records)
    profiler.stop()
    Path(args.profile).write_text(profiler.output_text(unicode=False, color=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--dir", required=True, help="where the SQLite files go")
    parser.add_argument("--tag", required=True, help="names this revision's topics and files")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--profile", help="also profile one drain (pyinstrument) into this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)  # as `kafka-demo local` logs
    logging.getLogger("kafka").setLevel(logging.WARNING)
    db_path = Path(args.dir) / f"path_{args.tag}.db"
    runtime = start_runtime(args.bootstrap, db_path, args.tag)
    try:
        figures = measure(args, runtime, db_path)
        if args.profile:
            profile_drain(args, runtime, db_path)
    finally:
        runtime.stop()
    json.dump(figures, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
