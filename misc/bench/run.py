"""Benchmark of the local production against fair floors, measured in the same run.

    pip install -r misc/bench/requirements.txt   # pyperf, py-spy, matplotlib, once
    apt-get install wrk                          # as root: the REST load generator, in C
    python misc/bench/run.py [--quick] [--durability normal|full] [--broker tansu|apache|both]

A floor does a path's mandated work through the same libraries, outside the production:
- floors.py (pyperf): each route's write done bare by its library (the write floor is their
  mean), and IoP's floor per door with the message class that door carries;
- the fair bound of the Kafka path: 1 / (consume + IoP's floor + the write floor) per record,
  the consume a kafka-python drain of a topic on the same broker;
- the fair bare handler (bare_app.py) under the same gunicorn model, for the REST door (wrk);
- the fair hand-written consumer (handwritten.py), for the drain, on the same broker.
Each repetition measures the path beside its floor at the same moment, for PoolSize 1 (the
production's) and the other --pool-sizes. py-spy samples `kafka-demo local` during a drain
(--gil, then --idle) and during the 4-client load, and the drain in one process
(kafka_path.py), each into a flame graph. Prints the report and writes misc/bench/out/:
bench.md, bench.json, bench.png, floors.json (pyperf's) and the flame graphs (*.svg).
"""

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
from pathlib import Path
from statistics import mean
from typing import Any

import brokers
import http_load
import local_kafka
import report
from flames import PY_SPY, sampled
from kafka_io import consume_rate
from stats import Figure, figure

from kafka_demo.local_mode.broker.ports import free_port

BENCH_DIR = Path(__file__).resolve().parent
SRC = BENCH_DIR.parents[1] / "src" / "python"
OUT = BENCH_DIR / "out"
PYTHONPATH = os.pathsep.join([str(SRC), str(BENCH_DIR)])
QUICK = {"reps": 1, "consume_records": 3_000, "path_records": 1_000, "route_rows": 100}
"""--quick: enough for ratios within one run, not for figures to publish."""
SAMPLED_RECORDS = 3_000
"""The records of each sampled drain (--quick too): enough samples to rank the parts."""
KAFKA_DOORS = ("iop KafkaDemoBS", "iop adapter door")
"""The Kafka path's two doors: a partition each, so each carries half the records."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--consume-records", type=int, default=20_000)
    parser.add_argument("--path-records", type=int, default=3_000)
    parser.add_argument("--route-rows", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each REST load")
    parser.add_argument("--durability", choices=("normal", "full"), default="normal")
    parser.add_argument("--broker", choices=tuple(brokers.CHOICES), default=brokers.TANSU)
    parser.add_argument(
        "--pool-sizes", type=lambda text: [int(n) for n in text.split(",")], default=[1, 2, 4]
    )
    parser.add_argument("--quick", action="store_true", help="one repetition of small loads")
    args = parser.parse_args()
    if args.quick:
        vars(args).update(QUICK, seconds=2.0)
    return args


def floor_figures(args: argparse.Namespace) -> dict[str, Figure]:
    """floors.py under pyperf, in processes of its own: microseconds per record."""
    path = OUT / "floors.json"
    path.unlink(missing_ok=True)
    command = [sys.executable, str(BENCH_DIR / "floors.py"), "--quiet", "-o", str(path)]
    command += ["--durability", args.durability, *(["--fast"] if args.quick else [])]
    subprocess.run(
        command, env={**os.environ, "PYTHONPATH": PYTHONPATH}, check=True, stdout=subprocess.DEVNULL
    )
    import pyperf

    suite = pyperf.BenchmarkSuite.load(str(path))
    floors = {bench.get_name(): figure([v * 1e6 for v in bench.get_values()]) for bench in suite}
    floors["write floor"] = figure(
        [mean(floors[name].median for name in floors if "write" in name)]
    )
    floors["iop floor, Kafka doors"] = figure([mean(floors[name].median for name in KAFKA_DOORS)])
    return floors


def kafka_figures(
    args: argparse.Namespace, kind: str, bootstrap: str, bare_port: int | None, work: Path
) -> dict[str, Any]:
    """On one broker: the consume floor, then per PoolSize the drain of `kafka-demo local`
    beside the hand-written consumer's, and (with `bare_port`) the REST door beside the bare
    handler, with the flame graphs, at PoolSize 1."""
    consume = figure([consume_rate(bootstrap, args.consume_records) for _ in range(args.reps)])
    # kafka-demo local on Tansu starts its own broker, as users run it; else --bootstrap.
    local_bootstrap = None if kind == brokers.TANSU else bootstrap
    found: dict[str, Any] = {"consume us": figure([1e6 / c for c in consume.values])}
    for size in args.pool_sizes:
        name = f"{kind}-pool{size}"
        options = ["--durability", args.durability, "--pool-size", str(size)]
        door_port = bare_port if size == 1 else None
        peer = work / f"{name}-peer.db", f"peer_{size}"
        with ExitStack() as running:
            local = running.enter_context(
                local_kafka.local_mode(
                    SRC, work / f"{name}.db", work / f"{name}.log", options, local_bootstrap
                )
            )
            running.enter_context(
                local_kafka.handwritten_consumer(
                    local.bootstrap, peer[1], peer[0], args.durability, work / f"{name}-peer.log"
                )
            )
            found[str(size)] = paired(args, local, door_port, peer, name)
            if door_port is not None:
                profile_server(args, local)
    return found


def paired(
    args: argparse.Namespace,
    local: local_kafka.LocalMode,
    bare_port: int | None,
    peer: tuple[Path, str],
    name: str,
) -> dict[str, Figure]:
    """Repetitions of path and floor at the same moment: the bare handler then the REST door
    (1 client, then 4), the hand-written consumer's drain then `kafka-demo local`'s."""
    runs: dict[str, list[Any]] = {key: [] for key in ("bare", "door", "drain", "handwritten")}
    for rep in range(args.reps):
        if bare_port is not None:
            runs["bare"].append({c: http_load.load(bare_port, c, args.seconds) for c in (1, 4)})
            runs["door"].append({c: http_load.load(local.port, c, args.seconds) for c in (1, 4)})
        records, tag = args.path_records, f"{name}-{rep}"
        runs["handwritten"].append(
            local_kafka.drain_rate(local.bootstrap, peer[0], records, tag, peer[1])
        )
        runs["drain"].append(local_kafka.drain_rate(local.bootstrap, local.db, records, tag))
    found = {key: figure(runs[key]) for key in ("drain", "handwritten")}
    for side in ("bare", "door") if bare_port is not None else ():
        for clients in (1, 4):
            for key in ("p50_ms", "p99_ms", "requests_per_s"):
                found[f"{side} {clients} {key}"] = figure([run[clients][key] for run in runs[side]])
    return found


def profile_server(args: argparse.Namespace, local: local_kafka.LocalMode) -> None:
    """Flame graphs of `kafka-demo local`: a drain sampled while a thread holds the
    interpreter lock (--gil), one with idle threads too (--idle), and the 4-client load."""
    for mode in ("gil", "idle"):
        with sampled(local.pid, OUT / f"flame-server-drain-{mode}.svg", mode):
            local_kafka.drain_rate(local.bootstrap, local.db, SAMPLED_RECORDS, f"spy-{mode}")
    with sampled(local.pid, OUT / "flame-server-rest-4-clients-gil.svg", "gil"):
        http_load.load(local.port, 4, max(args.seconds, 5.0))


def in_process(args: argparse.Namespace, bootstrap: str, work: Path) -> dict[str, Any]:
    """kafka_path.py: the drain in one process, each route through LocalStorageBO, and the
    drain's flame graph."""
    command = [sys.executable, str(BENCH_DIR / "kafka_path.py"), "--bootstrap", bootstrap]
    command += ["--dir", str(work), "--records", str(args.path_records)]
    command += ["--sampled-records", str(SAMPLED_RECORDS)]
    command += ["--rows", str(args.route_rows), "--reps", str(args.reps)]
    command += ["--flame", str(OUT / "flame-one-process-drain-gil.svg")]
    with (work / "kafka_path.log").open("wb") as log:
        output = subprocess.run(
            command,
            env={**os.environ, "PYTHONPATH": PYTHONPATH},
            stdout=subprocess.PIPE,
            stderr=log,
            check=True,
        ).stdout
    found = json.loads(output)
    return {key: figure(values) for key, values in found.items()}


def measure(args: argparse.Namespace, bootstraps: dict[str, str], work: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"floors": floor_figures(args)}
    bare_db = f"sqlite:///{work / 'bare.db'}"
    bare_port = free_port()
    with http_load.bare_handler(bare_db, bare_port, work / "bare.log", args.durability):
        http_load.load(bare_port, 4, 1)  # warm up
        for index, (kind, bootstrap) in enumerate(bootstraps.items()):
            port = bare_port if index == 0 else None  # the REST door does not touch Kafka
            figures[kind] = kafka_figures(args, kind, bootstrap, port, work)
    figures["one process"] = in_process(args, next(iter(bootstraps.values())), work)
    return figures


def missing_tools() -> list[str]:
    modules = [name for name in ("pyperf", "matplotlib") if importlib.util.find_spec(name) is None]
    programs = [
        name for name, path in (("wrk", "wrk"), ("py-spy", PY_SPY)) if not shutil.which(path)
    ]
    return modules + programs


def main() -> int:
    args = parse_args()
    if missing := missing_tools():
        print(f"missing {', '.join(missing)}: pip install -r {BENCH_DIR / 'requirements.txt'};")
        print("wrk from Debian's packages: apt-get install wrk (as root)")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    load_average = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kafka-demo-bench-") as folder, ExitStack() as running:
        bootstraps = {
            kind: running.enter_context(brokers.running(kind))
            for kind in brokers.CHOICES[args.broker]
        }
        figures = measure(args, bootstraps, Path(folder))
    context = (
        f"durability {args.durability} (SQLite WAL) for every commit compared;"
        f" {os.cpu_count()} cores, load average {load_average[0]:.1f} at the start;"
        f" {time.monotonic() - started:.0f} s"
    )
    text = report.render(figures, args, context, OUT)
    print(text)
    (OUT / "bench.md").write_text(text + "\n")
    report.write_json(OUT / "bench.json", figures)
    report.chart(OUT / "bench.png", figures, args)
    print(f"figures and flame graphs in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
