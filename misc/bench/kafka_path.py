"""The Kafka path in one process, each route through LocalStorageBO (docs/performance.md)."""

import json
import logging
import os
import sys
import threading
import time
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

from harness import PARTITIONS, new_topic, produce, product_values, sampled, stored, wait_for
from iop.messages.dispatch import dispatch_serializer

from kafka_demo import storage
from kafka_demo.bp import STORAGE_MESSAGES
from kafka_demo.defaults import KAFKA_DEMO_BS, LOCAL_STORAGE_BO
from kafka_demo.local_mode.iris.runtime import LocalConfig, LocalRuntime
from kafka_demo.models import Base
from kafka_demo.msg import ProductSQLMessage

DISPATCH_ALONE = "dispatch alone"
BLOCK = 20
PRICE = Decimal("1.50")


def start_runtime(bootstrap: str, db_path: Path) -> LocalRuntime:
    """The production as `kafka-demo local` runs it (SqlTrace, SqlGlobals), minus the poller."""
    config = LocalConfig(
        db_url=f"sqlite:///{db_path}",
        bootstrap=bootstrap,
        topic=new_topic(bootstrap, "bench_path"),
        dlq_topic=new_topic(bootstrap, "bench_path.dlq"),
        group_id="bench-path",
        max_poll_interval_ms=60_000,  # for a poll of 500 records, or the group evicts it
    )
    runtime = LocalRuntime(config, poll=False)
    Base.metadata.create_all(runtime.engine)  # what the BO does on its first message
    production = runtime.start()

    def joined() -> bool:
        production.process_input(KAFKA_DEMO_BS)
        consumer = production.component(KAFKA_DEMO_BS)._consumer
        return consumer is not None and len(consumer.assignment()) == PARTITIONS

    wait_for(joined, 30, "KafkaDemoBS's group join", step=0)
    return runtime


def drain(runtime: LocalRuntime, db_path: Path, records: int) -> float:
    """Records/s of OnProcessInput called back to back in a thread, on records produced first:
    the producer, in this process, must not take the production's interpreter lock."""
    assert runtime.production is not None
    production, config, done = runtime.production, runtime.config, threading.Event()
    target = stored(db_path) + records
    produce(config.bootstrap, config.topic, product_values(records, "path"), lambda: True)

    def call_on_and_on() -> None:
        while not done.is_set():
            production.process_input(KAFKA_DEMO_BS)

    caller = threading.Thread(target=call_on_and_on, name="KafkaDemoBS")
    started = time.perf_counter()
    caller.start()
    try:
        wait_for(lambda: stored(db_path) >= target, 600, "all records stored", step=0.01)
        return records / (time.perf_counter() - started)
    finally:
        done.set()
        caller.join()


def route_costs(runtime: LocalRuntime, rows: int) -> dict[str, float]:
    """Microseconds a message of each route through LocalStorageBO, and of its dispatch alone;
    the routes take turns, a block each, so that a change of load hits all alike."""
    assert runtime.production is not None and runtime.trace is not None
    runtime.trace.flush()  # the drain's hops, written now rather than meanwhile
    bo = runtime.production.items[LOCAL_STORAGE_BO]
    kinds = {**STORAGE_MESSAGES, DISPATCH_ALONE: ProductSQLMessage}
    blocks, seconds = max(1, rows // BLOCK), dict.fromkeys(kinds, 0.0)
    for block in range(-1, blocks):  # block -1 warms each up
        for kind, message_class in kinds.items():
            requests = [
                dispatch_serializer(message_class(name=f"{kind} {block} {i}", price=PRICE))
                for i in range(BLOCK)
            ]
            alone = kind == DISPATCH_ALONE  # the SQL route's insert a no-op
            with patch.object(storage, "insert_with_sql", lambda *_: 0) if alone else nullcontext():
                started = time.perf_counter()
                for request in requests:
                    bo.receive(request)
                elapsed = time.perf_counter() - started
            seconds[kind] += elapsed if block >= 0 else 0.0
    return {kind: total / (blocks * BLOCK) * 1e6 for kind, total in seconds.items()}


def main() -> None:
    bootstrap, folder, records, sampled_records, rows, reps, flame = sys.argv[1:]
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)  # as `kafka-demo local` logs
    logging.getLogger("kafka").setLevel(logging.WARNING)
    db_path = Path(folder) / "path.db"
    runtime = start_runtime(bootstrap, db_path)
    figures: dict[str, list[float]] = {"records_per_s": []}
    try:
        for _ in range(int(reps)):
            figures["records_per_s"].append(drain(runtime, db_path, int(records)))
            for route, cost in route_costs(runtime, int(rows)).items():
                figures.setdefault(f"{route} us", []).append(cost)
        with sampled(os.getpid(), Path(flame), "gil"):
            drain(runtime, db_path, int(sampled_records))
    finally:
        runtime.stop()
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    main()
