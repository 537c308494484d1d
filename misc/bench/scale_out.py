"""What scaling out buys: one backlog drained by 1, 2 and 3 `kafka-demo local` on one PostgreSQL.

    python misc/bench/scale_out.py [--records 3000] [--instances 1 2 3] [--reps 3]

For each count of instances, on a fresh Tansu broker and a fresh database of one
PostgreSQL 15 server (tests/support/postgres.py starts it, as the tests do): the
instances start in one consumer group (`kafka-demo local --bootstrap ... --db
postgresql://...`) on a topic of six partitions, so each of up to three instances'
two Kafka doors gets one; a first batch is stored so that the group has settled; then
the clock starts before the first record of the backlog is sent and stops when the
table holds them all. Prints records/s per count and writes
misc/bench/out/scale_out.json.

On one machine the instances share its cores, the broker's and the database's: the
figure is what coordination costs there, not what a machine per instance would give.
"""

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kafka_io import product_values
from local_kafka import produce_and_wait
from sqlalchemy import create_engine, text

from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
OUT = BENCH_DIR / "out"
TOPIC, DLQ_TOPIC = "kafka_demo", "kafka_demo.dlq"
PARTITIONS = 6
SETTLE_S = 5.0
"""After the first batch is stored: the group's last rebalance is over by then."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3_000)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--reps", type=int, default=3)
    return parser.parse_args()


def stored(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM product")) or 0)
    except Exception:  # the table is made when the first instance starts
        return 0
    finally:
        engine.dispose()


def drain(count: int, records: int, db_url: str, logs: Path) -> float:
    """Records/s of one backlog drained by `count` instances on a broker of their own."""
    from tests.support.local_process import LocalProcess

    def count_rows() -> int:
        return stored(db_url)

    with EmbeddedBroker() as broker:
        create_topics(broker.bootstrap, {TOPIC: PARTITIONS, DLQ_TOPIC: 1})
        instances = [
            LocalProcess(db_url, logs / f"local-{count}-{number}.log", broker.bootstrap)
            for number in range(count)
        ]
        try:
            with ThreadPoolExecutor(count) as starting:
                list(starting.map(lambda one: one.start(timeout=120), instances))
            join = product_values(PARTITIONS * 4, "join")
            produce_and_wait(broker.bootstrap, count_rows, join, 600, step=0.05)
            time.sleep(SETTLE_S)
            backlog = product_values(records, f"backlog {count}")
            seconds = produce_and_wait(broker.bootstrap, count_rows, backlog, 600, step=0.05)
        finally:
            for one in instances:
                if one.process is not None and one.process.poll() is None:
                    one.stop(timeout=30)
    return records / seconds


def main() -> int:
    args = parse_args()
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    from tests.support.postgres import postgres_server

    OUT.mkdir(exist_ok=True)
    rates: dict[int, list[float]] = {}
    with postgres_server() as server:
        for count in args.instances:
            for _ in range(args.reps):
                rate = drain(count, args.records, server.new_database(), OUT)
                rates.setdefault(count, []).append(rate)
                print(f"{count} instance(s): {rate:,.0f} records/s", flush=True)
    medians = {count: sorted(found)[len(found) // 2] for count, found in rates.items()}
    base = medians.get(1)
    print("\ninstances  records/s (median)  vs one")
    for count, rate in medians.items():
        ratio = f"{rate / base:.2f}x" if base else "-"
        print(f"{count:>9}  {rate:>18,.0f}  {ratio}")
    (OUT / "scale_out.json").write_text(
        json.dumps({"records": args.records, "rates": rates, "medians": medians}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
