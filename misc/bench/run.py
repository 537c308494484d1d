"""The local production against fair floors, measured in the same run (docs/performance.md)."""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from itertools import product
from pathlib import Path
from statistics import mean
from typing import Any

import harness
import report

from kafka_demo.defaults import IRIS_KAFKA_SERVICE
from kafka_demo.kafka_io.clients import open_consumer
from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.config import LocalConfig

LOADS = {False: (20_000, 3_000, 400), True: (3_000, 1_000, 100)}  # consume, drain, route rows
SAMPLED_RECORDS = 3_000  # each sampled drain's, --quick too: enough samples to rank the parts
KAFKA_DOORS = ("iop KafkaDemoBS", "iop adapter door")  # a partition each
Drains = dict[str, tuple[Path, str]]  # the figure's key: the SQLite file it fills, the topic


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each REST load")
    parser.add_argument("--durability", choices=("normal", "full"), default="normal")
    parser.add_argument("--broker", choices=tuple(harness.BROKERS), default=harness.TANSU)
    parser.add_argument(
        "--pool-sizes", type=lambda text: [int(n) for n in text.split(",")], default=[1, 2, 4]
    )
    parser.add_argument("--quick", action="store_true", help="one repetition of small loads")
    args = parser.parse_args()
    if args.quick:
        args.reps, args.seconds = 1, 2.0
    args.consume_records, args.path_records, args.route_rows = LOADS[args.quick]
    return args


def floor_figures(args: argparse.Namespace) -> dict[str, harness.Figure]:
    """floors.py's pyperf suite, in processes of its own: microseconds a record."""
    import pyperf  # type: ignore[import-untyped]

    path = harness.OUT / "floors.json"
    path.unlink(missing_ok=True)
    command = [sys.executable, str(harness.BENCH_DIR / "floors.py"), "--quiet", "-o", str(path)]
    command += ["--durability", args.durability, *(["--fast"] if args.quick else [])]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    suite = pyperf.BenchmarkSuite.load(str(path))
    floors = {b.get_name(): harness.Figure(v * 1e6 for v in b.get_values()) for b in suite}
    writes = [floors[name].median for name in floors if "write" in name]
    floors["write floor"] = harness.Figure([mean(writes)])
    floors["iop floor, Kafka doors"] = harness.Figure([mean(floors[n].median for n in KAFKA_DOORS)])
    return floors


def consume_rate(bootstrap: str, records: int, run: int) -> float:
    """Records/s of KafkaDemoBS's consumer, once joined, polling and committing each batch."""
    topic = harness.new_topic(bootstrap, f"bench_consume_{run}")
    consumer = open_consumer(
        kafka_broker=bootstrap,
        topic=topic,
        group_id=f"bench-consume-{run}",
        max_poll_interval_ms=1500,  # Tansu completes a join only after about this long
        max_poll_records=LocalConfig().max_poll_records,
    )

    def assigned() -> bool:
        consumer.poll(timeout_ms=100)
        return len(consumer.assignment()) == harness.PARTITIONS

    try:
        harness.wait_for(assigned, 30, "the group join", step=0)
        harness.produce(bootstrap, topic, harness.product_values(records, "consume"), lambda: True)
        seen, started = 0, time.perf_counter()
        while seen < records:
            batch = consumer.poll(timeout_ms=1000)
            seen += sum(len(found) for found in batch.values())
            if batch:
                consumer.commit()
        return records / (time.perf_counter() - started)
    finally:
        consumer.close()


def kafka_figures(
    args: argparse.Namespace, kind: str, bootstrap: str, bare_port: int | None, work: Path
) -> dict[str, Any]:
    """One broker's figures, and the flame graphs (docs/performance.md, "Pairing")."""
    consume = [consume_rate(bootstrap, args.consume_records, rep) for rep in range(args.reps)]
    found: dict[str, Any] = {"consume us": harness.Figure(1e6 / rate for rate in consume)}
    on = None if kind == harness.TANSU else bootstrap  # on Tansu, its own, as users run it
    for size in args.pool_sizes:
        name, topic = f"{kind}-pool{size}", f"peer_{size}"
        options = ["--durability", args.durability, "--pool-size", str(size)]
        db, peer, log = work / f"{name}.db", work / f"{name}-peer.db", work / f"{name}-peer.log"
        with (
            harness.local_mode(db, work / f"{name}.log", options, on) as local,
            harness.handwritten_consumer(local.bootstrap, topic, peer, args.durability, log),
        ):
            doors = {"bare": bare_port, "door": local.port} if size == 1 and bare_port else {}
            drains = {"handwritten": (peer, topic), "drain": (db, harness.TOPIC)}
            found[str(size)] = paired(args, local.bootstrap, doors, drains, name)
            if doors:
                profile_server(args, local, db)
        if size == 1:
            found["alone"] = drains_alone(args, kind, on, work)
    return found


def drains_alone(args: argparse.Namespace, kind: str, on: str | None, work: Path) -> harness.Figure:
    """The server's drain with KafkaDemoBS alone: what the second door costs in one process."""
    db, log = work / f"{kind}-alone.db", work / f"{kind}-alone.log"
    options = ["--durability", args.durability, "--disable", IRIS_KAFKA_SERVICE]
    with harness.local_mode(db, log, options, on) as local:
        values = [harness.product_values(args.path_records, f"alone-{r}") for r in range(args.reps)]
        return harness.Figure(harness.drain_rate(local.bootstrap, db, v) for v in values)


def paired(
    args: argparse.Namespace, bootstrap: str, doors: dict[str, int], drains: Drains, name: str
) -> dict[str, harness.Figure]:
    """Repetitions of path and floor in turn: REST's, 1 client then 4, then the drains."""
    runs: dict[str, list[float]] = {}
    for rep in range(args.reps):
        for (side, port), clients in product(doors.items(), (1, 4)):
            for key, value in harness.wrk(port, clients, args.seconds).items():
                runs.setdefault(f"{side} {clients} {key}", []).append(value)
        values = harness.product_values(args.path_records, f"{name}-{rep}")
        for key, (db, topic) in drains.items():
            runs.setdefault(key, []).append(harness.drain_rate(bootstrap, db, values, topic))
    return {key: harness.Figure(found) for key, found in runs.items()}


def profile_server(args: argparse.Namespace, local: harness.LocalProcess, db: Path) -> None:
    """`kafka-demo local` sampled draining (--gil, then --idle) and under 4 REST clients."""
    assert local.process is not None
    pid = local.process.pid
    for mode in ("gil", "idle"):
        with harness.sampled(pid, harness.OUT / f"flame-server-drain-{mode}.svg", mode):
            values = harness.product_values(SAMPLED_RECORDS, f"spy-{mode}")
            harness.drain_rate(local.bootstrap, db, values)
    with harness.sampled(pid, harness.OUT / "flame-server-rest-4-clients-gil.svg", "gil"):
        harness.wrk(local.port, 4, max(args.seconds, 5.0))


def in_process(args: argparse.Namespace, bootstrap: str, work: Path) -> dict[str, harness.Figure]:
    """kafka_path.py's figures, and its drain's flame graph."""
    command = [sys.executable, str(harness.BENCH_DIR / "kafka_path.py"), bootstrap, str(work)]
    command += [str(args.path_records), str(SAMPLED_RECORDS), str(args.route_rows), str(args.reps)]
    command += [str(harness.OUT / "flame-one-process-drain-gil.svg")]
    with (work / "kafka_path.log").open("wb") as log:
        output = subprocess.run(command, stdout=subprocess.PIPE, stderr=log, check=True).stdout
    return {key: harness.Figure(values) for key, values in json.loads(output).items()}


def measure(args: argparse.Namespace, bootstraps: dict[str, str], work: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"floors": floor_figures(args)}
    bare_port = free_port()
    with harness.bare_handler(work / "bare.db", bare_port, work / "bare.log", args.durability):
        harness.wrk(bare_port, 4, 1)  # warm up
        for index, (kind, bootstrap) in enumerate(bootstraps.items()):
            port = bare_port if index == 0 else None  # the REST door does not touch Kafka
            figures[kind] = kafka_figures(args, kind, bootstrap, port, work)
    figures["one process"] = in_process(args, next(iter(bootstraps.values())), work)
    return figures


def main() -> int:
    args = parse_args()
    missing = [name for name in ("pyperf", "matplotlib") if not importlib.util.find_spec(name)]
    if missing := missing + [name for name in ("wrk", harness.PY_SPY) if not shutil.which(name)]:
        print(f"missing {', '.join(missing)}: pip install -r misc/bench/requirements.txt;")
        print("wrk from Debian's packages: apt-get install wrk (as root)")
        return 2
    os.environ["PYTHONPATH"] = harness.PYTHONPATH  # every process runs this tree
    harness.OUT.mkdir(parents=True, exist_ok=True)
    started, load_average = time.monotonic(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kafka-demo-bench-") as folder, ExitStack() as running:
        kinds = harness.BROKERS[args.broker]
        bootstraps = {kind: running.enter_context(harness.broker(kind)).bootstrap for kind in kinds}
        figures = measure(args, bootstraps, Path(folder))
    context = (
        f"durability {args.durability} (SQLite WAL) for every commit compared;"
        f" {os.cpu_count()} cores, load average {load_average[0]:.1f} at the start;"
        f" {time.monotonic() - started:.0f} s"
    )
    text = report.render(figures, context, harness.OUT)
    print(text)
    (harness.OUT / "bench.md").write_text(text + "\n")
    report.write_json(harness.OUT / "bench.json", figures)
    report.chart(harness.OUT / "bench.png", figures, args.reps)
    print(f"figures and flame graphs in {harness.OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
