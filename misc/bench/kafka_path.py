"""The Kafka path in one process, and the storage routes' cost, in a process of their own.

The production runs in this process as `kafka-demo local` builds it, driven by hand
(KafkaDemoBS's OnProcessInput back to back; no poller, no HTTP server, no second
consumer), so its drain can be set beside the server's; each route is timed through
LocalStorageBO's IoP dispatch; and one drain is sampled by py-spy. Run by run.py with
PYTHONPATH set to src/python and misc/bench. Prints its figures as JSON on stdout.
"""

import argparse
import json
import logging
import os
import sqlite3
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from flames import sampled
from iop.messages.dispatch import dispatch_serializer
from kafka_io import PARTITIONS, new_topic, produce, product_values
from stats import wait_for

from kafka_demo import storage
from kafka_demo.bp import STORAGE_MESSAGES
from kafka_demo.defaults import KAFKA_DEMO_BS, LOCAL_STORAGE_BO
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.iris.runtime import LocalConfig, LocalRuntime
from kafka_demo.models import Base
from kafka_demo.msg import ProductSQLMessage

MAX_POLL_INTERVAL_MS = 60_000


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
    """Produce `records`, then call OnProcessInput back to back, in a thread, until all are
    stored: records/s. The clock stops when the database holds them all, as for the server,
    not when the call that stored the last one returns (it ends with an empty poll, which
    waits up to the poll budget's rest)."""
    assert runtime.production is not None
    production, target, done = runtime.production, stored(db_path) + records, threading.Event()

    def call_on_and_on() -> None:
        while not done.is_set():
            production.process_input(KAFKA_DEMO_BS)

    produce(runtime.config.bootstrap, runtime.config.topic, product_values(records, "path"))
    caller = threading.Thread(target=call_on_and_on, name="KafkaDemoBS")
    started = time.perf_counter()
    caller.start()
    wait_for(lambda: stored(db_path) >= target, 600, "all records stored", step=0.01)
    elapsed = time.perf_counter() - started
    done.set()
    caller.join()
    return records / elapsed


def route_costs(runtime: LocalRuntime, rows: int) -> dict[str, float]:
    """Microseconds a message of each route through LocalStorageBO's IoP dispatch, and of that
    dispatch alone (the raw SQL route's message, its insert replaced by nothing). The routes
    take turns, a block of messages each, so that a change of machine load hits all alike;
    the messages are built and serialized beforehand, as the BP would."""
    assert runtime.production is not None
    runtime.production.trace.flush()  # the drain's hops, written now rather than meanwhile
    bo = runtime.production.items[LOCAL_STORAGE_BO]
    kinds = {**STORAGE_MESSAGES, DISPATCH_ALONE: ProductSQLMessage}
    blocks = max(1, rows // BLOCK)
    seconds = dict.fromkeys(kinds, 0.0)
    for block in range(-1, blocks):  # block -1 warms each up
        for kind, message_class in kinds.items():
            requests = [
                dispatch_serializer(message_class(name=f"{kind} {block} {i}", price=PRICE))
                for i in range(BLOCK)
            ]
            elapsed = _timed_block(bo, requests, alone=kind == DISPATCH_ALONE)
            seconds[kind] += elapsed if block >= 0 else 0.0
    return {kind: total / (blocks * BLOCK) * 1e6 for kind, total in seconds.items()}


DISPATCH_ALONE = "dispatch alone"
BLOCK = 20
PRICE = Decimal("1.50")


def _timed_block(bo: Any, requests: list[Any], alone: bool) -> float:
    insert = storage.insert_with_sql
    if alone:
        # The ignore: the route's insert is replaced by one of another signature, on purpose.
        storage.insert_with_sql = lambda *_: 0  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        for request in requests:
            bo.receive(request)
        return time.perf_counter() - started
    finally:
        storage.insert_with_sql = insert


def measure(args: argparse.Namespace, runtime: LocalRuntime, db_path: Path) -> dict[str, Any]:
    """Repetitions of the drain and of the routes, each route in microseconds a message."""
    rates, routes = [], []
    for _ in range(args.reps):
        rates.append(drain(runtime, db_path, args.records))
        routes.append(route_costs(runtime, args.rows))
    by_route = {f"{route} us": [run[route] for run in routes] for route in routes[0]}
    return {"records_per_s": rates, **by_route}


def sampled_drain(args: argparse.Namespace, runtime: LocalRuntime, db_path: Path) -> None:
    """One more drain, sampled by py-spy while a thread holds the interpreter lock."""
    with sampled(os.getpid(), Path(args.flame), "gil"):
        drain(runtime, db_path, args.sampled_records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--dir", required=True, help="where the SQLite files go")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--flame", help="also sample one drain with py-spy into this SVG")
    parser.add_argument("--sampled-records", type=int, default=3000, help="that drain's records")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)  # as `kafka-demo local` logs
    logging.getLogger("kafka").setLevel(logging.WARNING)
    db_path = Path(args.dir) / "path.db"
    runtime = start_runtime(args.bootstrap, db_path, "one-process")
    try:
        figures = measure(args, runtime, db_path)
        if args.flame:
            sampled_drain(args, runtime, db_path)
    finally:
        runtime.stop()
    json.dump(figures, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
