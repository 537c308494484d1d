"""One backlog drained by 1, 2, 3 `kafka-demo local` on one PostgreSQL (docs/performance.md)."""

import argparse
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import OUT, TOPIC, LocalProcess, produce, product_values
from sqlalchemy import create_engine, text

from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics

PARTITIONS = 6  # two Kafka doors in each of up to three instances, a partition each
SETTLE_S = 5.0  # after the first batch is stored: the group's last rebalance is over by then


def stored(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM product")) or 0)
    except Exception:  # the table is made when the first instance starts
        return 0
    finally:
        engine.dispose()


def sent_and_stored(bootstrap: str, db_url: str, values: list[bytes]) -> float:
    target = stored(db_url) + len(values)
    return produce(bootstrap, TOPIC, values, lambda: stored(db_url) >= target, step=0.05)


def drain(count: int, records: int, db_url: str, logs: Path) -> float:
    """Records/s of one backlog drained by `count` instances on a broker of their own."""
    with EmbeddedBroker() as broker:
        create_topics(broker.bootstrap, {TOPIC: PARTITIONS, f"{TOPIC}.dlq": 1})
        instances = [
            LocalProcess(db_url, logs / f"local-{count}-{number}.log", broker.bootstrap)
            for number in range(count)
        ]
        try:
            with ThreadPoolExecutor(count) as starting:
                list(starting.map(lambda one: one.start(timeout=120), instances))
            sent_and_stored(broker.bootstrap, db_url, product_values(PARTITIONS * 4, "join"))
            time.sleep(SETTLE_S)
            backlog = product_values(records, f"backlog {count}")
            seconds = sent_and_stored(broker.bootstrap, db_url, backlog)
        finally:
            for one in instances:
                if one.process is not None and one.process.poll() is None:
                    one.stop(timeout=30)
    return records / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=3_000)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    from tests.support.postgres import postgres_server  # on the path once harness is imported

    OUT.mkdir(exist_ok=True)
    rates: dict[int, list[float]] = {}
    with postgres_server() as server:
        for count in args.instances:
            for _ in range(args.reps):
                rate = drain(count, args.records, server.new_database(), OUT)
                rates.setdefault(count, []).append(rate)
                print(f"{count} instance(s): {rate:,.0f} records/s", flush=True)
    medians = {count: statistics.median(found) for count, found in rates.items()}
    print("\ninstances  records/s (median)  vs one")
    for count, rate in medians.items():
        ratio = f"{rate / medians[1]:.2f}x" if 1 in medians else "-"
        print(f"{count:>9}  {rate:>18,.0f}  {ratio}")
    summary = {"records": args.records, "rates": rates, "medians": medians}
    (OUT / "scale_out.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
