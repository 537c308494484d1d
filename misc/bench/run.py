"""Benchmark of every path of the local production, as ratios to baselines of the same run.

    pip install -r misc/bench/requirements.txt   # matplotlib and pyinstrument, once
    python misc/bench/run.py [--before REV] [--durability normal|full]
    python misc/bench/run.py --quick             # one repetition of small loads: minutes
    python misc/bench/run.py --broker both       # the Kafka figures on Apache Kafka too

Measures, 3 repetitions each, in SQLite files of a temporary folder:
- the baselines: kafka-python consuming (on a Tansu broker of its own), one SQLite
  insert and commit per row, and IoP's floor (floor.py: a no-op BS -> BP -> BO chain
  through the same router, with IoP's dispatch and serialization); the bound of this
  architecture is consume + one durable insert + that floor, per record;
- the Kafka path as users run it: `kafka-demo local` started as a user starts it, an
  external producer writes N records, the clock stops when all N are stored
  (local_kafka.py); and the REST door of the same server;
- where the Kafka path's time goes: one instrumented in-process drain per revision
  (kafka_path.py), with the storage routes' cost and a profile;
- what PoolSize buys: for each of --pool-sizes (1, 2, 4), `kafka-demo local --pool-size N`
  beside the consumer a user would write by hand (handwritten.py: kafka-python into
  SQLite, one commit per row) on the same broker: both drains of the same backlog,
  and the REST door's 4-client throughput against the bare handler's.
--broker tansu (the default: the broker `kafka-demo local` embeds), apache (Apache Kafka
4.1.1 on the JVM, the test suite's single KRaft broker: `kafka-demo local --bootstrap`) or
both: every figure on the first, and on Apache Kafka the Kafka figures again (its consume
baseline and bound, the Kafka path's drain, the drains beside the hand-written consumer).
Every SQLite commit compared (the bound's insert, the bare handler, the hand-written
consumer, `kafka-demo local`) uses the same --durability: normal (WAL,
synchronous=NORMAL, IRIS's default SynchCommit=0) unless told otherwise; the report
says which. A --before revision runs with its own durability.
Prints a table and writes misc/bench/out/bench.json, bench.md, bench.png. With
--before, an older revision (its src/python, taken with git archive) is measured
in the same run, against the same baselines.
"""

import argparse
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import baselines
import brokers
import http_load
import local_kafka
import report
from stats import Figure, figure, figures_of

from kafka_demo.local_mode.broker.tansu import free_port

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
OUT = BENCH_DIR / "out"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="also measure this git revision (e.g. HEAD~1)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--consume-records", type=int, default=20_000)
    parser.add_argument("--insert-rows", type=int, default=2_000)
    parser.add_argument("--floor-records", type=int, default=3_000)
    parser.add_argument("--path-records", type=int, default=3_000)
    parser.add_argument("--before-path-records", type=int, default=500)
    parser.add_argument("--route-rows", type=int, default=400)
    parser.add_argument("--requests", type=int, default=1_000, help="per repetition, 4 clients")
    parser.add_argument("--seconds", type=float, default=5.0, help="time cap of each load")
    parser.add_argument("--durability", choices=("normal", "full"), default="normal")
    parser.add_argument(
        "--broker",
        choices=tuple(brokers.CHOICES),
        default=brokers.TANSU,
        help="where the Kafka figures are measured (both: every figure on Tansu, the Kafka "
        "figures on Apache Kafka too)",
    )
    parser.add_argument(
        "--pool-sizes", type=lambda text: [int(n) for n in text.split(",")], default=[1, 2, 4]
    )
    parser.add_argument(
        "--quick", action="store_true", help="one repetition of small loads (a few minutes)"
    )
    args = parser.parse_args()
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    return args


QUICK = {
    "reps": 1,
    "consume_records": 3_000,
    "insert_rows": 500,
    "floor_records": 1_000,
    "path_records": 1_000,
    "before_path_records": 300,
    "route_rows": 100,
    "requests": 300,
    "seconds": 3.0,
}
"""--quick: enough for ratios within one run, not for figures to publish."""


def revision_source(revision: str, into: Path) -> Path:
    """src/python of `revision`, unpacked from git archive into `into`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "src/python"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src" / "python"


def raw_baselines(args: argparse.Namespace, bootstrap: str, work: Path) -> dict[str, Figure]:
    consume = figure(
        [baselines.consume_rate(bootstrap, args.consume_records) for _ in range(args.reps)]
    )
    urls = [f"sqlite:///{work / f'raw_{rep}.db'}" for rep in range(args.reps)]
    insert = figure([baselines.insert_rate(url, args.insert_rows, args.durability) for url in urls])
    floor = iop_floor(args, REPO / "src" / "python")
    bound = figure(
        [
            1 / (1 / c + 1 / i + 1 / f)
            for c, i, f in zip(consume.values, insert.values, floor.values, strict=True)
        ]
    )
    return {"consume": consume, "insert": insert, "floor": floor, "bound": bound}


def iop_floor(args: argparse.Namespace, src: Path) -> Figure:
    """Records/s of the no-op chain (floor.py), in a process of its own."""
    command = [sys.executable, str(BENCH_DIR / "floor.py"), "--reps", str(args.reps)]
    command += ["--records", str(args.floor_records)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(BENCH_DIR)])}
    found = subprocess.run(command, env=env, stdout=subprocess.PIPE, check=True).stdout
    return figure(json.loads(found)["records_per_s"])


def kafka_path(
    args: argparse.Namespace, src: Path, bootstrap: str, work: Path, tag: str, records: int
) -> dict[str, Any]:
    """The Kafka path of `src`, in a process of its own (see kafka_path.py)."""
    command = [sys.executable, str(BENCH_DIR / "kafka_path.py"), "--bootstrap", bootstrap]
    command += ["--dir", str(work), "--tag", tag, "--records", str(records)]
    command += ["--rows", str(args.route_rows), "--reps", str(args.reps)]
    command += ["--profile", str(OUT / f"profile-kafka-path-{tag}.txt")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(BENCH_DIR)])}
    with (work / f"kafka_path_{tag}.log").open("wb") as log:
        found = json.loads(
            subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=log, check=True).stdout
        )
    return {
        "records": records,
        "records_per_s": figure(found["records_per_s"]),
        "route_us": {route: figure(values) for route, values in found["route_us"].items()},
        "hop_us_per_record": found["hop_us_per_record"],
        "instrumented_records_per_s": found["instrumented_records_per_s"],
        "idle_after_drain_s": found["idle_after_drain_s"],
    }


def http_repetition(args: argparse.Namespace, port: int) -> dict[str, dict[str, float]]:
    """1 client (latency), then 4 clients (throughput)."""
    return {
        "1 client": http_load.load(port, args.requests // 3, 1, args.seconds),
        "4 clients": http_load.load(port, args.requests, 4, args.seconds),
    }


def bound_of(base: dict[str, Figure], insert: float) -> float:
    """Records/s of consume + one durable insert + IoP's floor, per record."""
    return 1 / (1 / base["consume"].median + 1 / insert + 1 / base["floor"].median)


def paired_repetitions(
    args: argparse.Namespace,
    base: dict[str, Figure],
    bare_port: int | None,
    local: tuple[int, str],
    db: Path,
    records: int,
    work: Path,
    tag: str,
) -> dict[str, Any]:
    """Each repetition measures a revision beside its baseline, at the same moment: the bare
    handler then the REST door; a fresh insert baseline then the Kafka path's drain. The disk's
    commit time swings several-fold on a shared machine, so only paired ratios are fair.
    Without a bare handler (`bare_port` None), the Kafka path's figures only."""
    port, broker = local
    local_kafka.wait_for_join(broker, db)
    if bare_port is not None:
        http_load.load(port, 100, 4, args.seconds)  # warm up
    bare, door, inserts, rates = [], [], [], []
    for rep in range(args.reps):
        if bare_port is not None:
            bare.append(http_repetition(args, bare_port))
            door.append(http_repetition(args, port))
        url = f"sqlite:///{work / f'insert_{tag}_{rep}.db'}"
        inserts.append(baselines.insert_rate(url, args.insert_rows, args.durability))
        rates.append(local_kafka.drain_rate(broker, db, records, f"{tag}{rep}"))
    bounds = [bound_of(base, insert) for insert in inserts]
    kafka_path = {
        "records": records,
        "records_per_s": figure(rates),
        "insert": figure(inserts),
        "bound": figure(bounds),
        "to bound": figure([r / b for r, b in zip(rates, bounds, strict=True)]),
    }
    if bare_port is None:
        return {"kafka path": kafka_path}

    def ratios(key: str, clients: str) -> Figure:
        return figure([d[clients][key] / b[clients][key] for d, b in zip(door, bare, strict=True)])

    return {
        "kafka path": kafka_path,
        "bare handler": {
            c: figures_of([run[c] for run in bare]) for c in ("1 client", "4 clients")
        },
        "REST door": {c: figures_of([run[c] for run in door]) for c in ("1 client", "4 clients")},
        "to bare": {
            clients: {key: ratios(key, clients) for key in door[0][clients]}
            for clients in ("1 client", "4 clients")
        },
    }


def measure(args: argparse.Namespace, bootstraps: dict[str, str], work: Path) -> dict[str, Any]:
    """Every figure on the first broker of --broker; the Kafka figures on the other one."""
    kinds = list(bootstraps)
    first = kinds[0]
    bootstrap = bootstraps[first]
    # kafka-demo local on Tansu starts its own, as users run it; on Apache Kafka, --bootstrap.
    local_bootstrap = None if first == brokers.TANSU else bootstrap
    revisions = [("now", REPO / "src" / "python", args.path_records)]
    if args.before:
        before = revision_source(args.before, work / "before")
        revisions.insert(0, ("before", before, args.before_path_records))
    base = raw_baselines(args, bootstrap, work)
    figures: dict[str, Any] = {"broker": brokers.NAMES[first], "baselines": base}
    bare_db = f"sqlite:///{work / 'bare.db'}"
    baselines.prepare_database(bare_db, args.durability)
    bare_port = free_port()
    with http_load.bare_handler(bare_db, bare_port, work / "bare.log", args.durability):
        http_load.load(bare_port, 100, 4, args.seconds)  # warm up
        for tag, src, records in revisions:
            db = work / f"local_{tag}.db"
            options = ["--durability", args.durability] if tag == "now" else []
            log = work / f"local_{tag}.log"
            with local_kafka.local_mode(src, db, log, options, local_bootstrap) as local:
                figures[tag] = paired_repetitions(
                    args, base, bare_port, local, db, records, work, tag
                )
        figures["pool sizes"] = pool_size_figures(args, bare_port, work, local_bootstrap)
    # The hop breakdown imports today's modules, so it runs on this tree only.
    figures["in-process drain (now)"] = kafka_path(
        args, revisions[-1][1], bootstrap, work, "now", args.path_records
    )
    figures["revisions"] = {tag: str(src) for tag, src, _ in revisions}
    figures["other brokers"] = {
        brokers.NAMES[kind]: kafka_figures_on(args, bootstraps[kind], base, work, kind)
        for kind in kinds[1:]
    }
    return figures


def kafka_figures_on(
    args: argparse.Namespace, bootstrap: str, base: dict[str, Figure], work: Path, kind: str
) -> dict[str, Any]:
    """The Kafka figures on another running broker: its consume baseline, the bound with it
    (the same insert and IoP floor), the Kafka path's drain through `kafka-demo local
    --bootstrap`, and the drains beside the hand-written consumer, per PoolSize."""
    consume = figure(
        [baselines.consume_rate(bootstrap, args.consume_records) for _ in range(args.reps)]
    )
    here = {**base, "consume": consume}
    db = work / f"local_{kind}.db"
    options = ["--durability", args.durability]
    with local_kafka.local_mode(
        REPO / "src" / "python", db, work / f"local_{kind}.log", options, bootstrap
    ) as local:
        path = paired_repetitions(args, here, None, local, db, args.path_records, work, kind)
    return {
        "consume": consume,
        "kafka path": path["kafka path"],
        "pool sizes": pool_size_figures(args, None, work, bootstrap, kind),
    }


def pool_size_figures(
    args: argparse.Namespace,
    bare_port: int | None,
    work: Path,
    bootstrap: str | None = None,
    tag: str = "",
) -> dict[str, Any]:
    """Per PoolSize: the drain of `kafka-demo local --pool-size N` (with its own broker, or
    on `bootstrap`) and of the hand-written consumer on the same broker, and the REST door's
    4-client throughput beside the bare handler's (unless `bare_port` is None), repetition
    by repetition."""
    found: dict[str, Any] = {}
    for size in args.pool_sizes:
        name = f"{tag}pool_{size}"
        db, peer_db, topic = work / f"{name}.db", work / f"{tag}peer_{size}.db", f"peer_{size}"
        options = ["--durability", args.durability, "--pool-size", str(size)]
        src, log = REPO / "src" / "python", work / f"{name}.log"
        with local_kafka.local_mode(src, db, log, options, bootstrap) as (port, broker):
            local_kafka.wait_for_join(broker, db)
            peer_log = work / f"{tag}peer_{size}.log"
            with local_kafka.handwritten_consumer(
                broker, topic, peer_db, args.durability, peer_log
            ):
                if bare_port is not None:
                    http_load.load(port, 100, 4, args.seconds)  # warm up
                door, bare, drains, peers = [], [], [], []
                for rep in range(args.reps):
                    if bare_port is not None:
                        bare.append(http_load.load(bare_port, args.requests, 4, args.seconds))
                        door.append(http_load.load(port, args.requests, 4, args.seconds))
                    peers.append(
                        local_kafka.drain_rate(
                            broker, peer_db, args.path_records, f"peer{size}-{rep}", topic
                        )
                    )
                    drains.append(
                        local_kafka.drain_rate(broker, db, args.path_records, f"{name}-{rep}")
                    )
        found[str(size)] = {
            "drain": figure(drains),
            "handwritten": figure(peers),
            "to handwritten": figure([d / p for d, p in zip(drains, peers, strict=True)]),
        }
        if bare_port is not None:
            door_rates = [run["requests_per_s"] for run in door]
            bare_rates = [run["requests_per_s"] for run in bare]
            found[str(size)] |= {
                "door 4 clients": figure(door_rates),
                "bare 4 clients": figure(bare_rates),
                "to bare": figure([d / b for d, b in zip(door_rates, bare_rates, strict=True)]),
            }
    return found


GOALS = {
    ("1 client", "p50_ms"): " (goal <= 1.3)",
    ("4 clients", "requests_per_s"): " (goal >= 0.8)",
}
HTTP_FIGURES = (("p50_ms", "ms"), ("p99_ms", "ms"), ("requests_per_s", "req/s"))


def table_rows(figures: dict[str, Any]) -> list[list[str]]:
    base = figures["baselines"]
    rows = [
        report.row("kafka-python consume", base["consume"], "rec/s"),
        report.row("SQLite insert, 1 commit/row", base["insert"], "rows/s"),
        report.row("IoP floor: no-op BS->BP->BO, same router", base["floor"], "rec/s"),
        report.row("bound 1/(1/consume+1/insert+1/floor)", base["bound"], "rec/s"),
    ]
    for tag in figures["revisions"]:
        run = figures[tag]
        path = run["kafka path"]
        rows += [
            report.row(
                f"  ({tag}) SQLite insert, just before each drain", path["insert"], "rows/s"
            ),
            report.row(f"  ({tag}) bound with that insert", path["bound"], "rec/s"),
            report.row(
                f"Kafka path: drain of {path['records']} via kafka-demo local ({tag})",
                path["records_per_s"],
                "rec/s",
                path["to bound"].median,
                "bound (goal >= 0.8)",
            ),
        ]
        for clients in ("1 client", "4 clients"):
            for key, unit in HTTP_FIGURES:
                if clients == "1 client" and key == "requests_per_s":
                    continue
                name = "req/s" if key == "requests_per_s" else key[:3]
                rows.append(
                    report.row(
                        f"  ({tag}) bare handler {name}, {clients}",
                        run["bare handler"][clients][key],
                        unit,
                    )
                )
                rows.append(
                    report.row(
                        f"REST door {name}, {clients} ({tag})",
                        run["REST door"][clients][key],
                        unit,
                        run["to bare"][clients][key].median,
                        "bare" + GOALS.get((clients, key), ""),
                    )
                )
    for size, pool in figures["pool sizes"].items():
        rows += [
            report.row(
                f"  (PoolSize {size}) hand-written kafka-python -> SQLite, same broker",
                pool["handwritten"],
                "rec/s",
            ),
            report.row(
                f"drain via kafka-demo local --pool-size {size}",
                pool["drain"],
                "rec/s",
                pool["to handwritten"].median,
                "hand-written (goal >= 0.3)",
            ),
            report.row(
                f"  (PoolSize {size}) bare handler req/s, 4 clients",
                pool["bare 4 clients"],
                "req/s",
            ),
            report.row(
                f"REST door req/s, 4 clients, --pool-size {size}",
                pool["door 4 clients"],
                "req/s",
                pool["to bare"].median,
                "bare (goal >= 0.8)",
            ),
        ]
    for broker, other in figures["other brokers"].items():
        rows += other_broker_rows(broker, other, base)
    routes = dict(figures["in-process drain (now)"]["route_us"])
    raw = routes.pop("raw insert")
    rows.append(report.row("  (now) raw insert, just before the routes", raw, "us/row"))
    if "dispatch alone" in routes:
        rows.append(
            report.row(
                "  (now) LocalStorageBO's IoP dispatch alone, no insert",
                routes.pop("dispatch alone"),
                "us/msg",
            )
        )
    for route, cost in routes.items():
        rows.append(
            report.row(
                f"route {route} via LocalStorageBO (now)",
                cost,
                "us/row",
                cost.median / raw.median,
                "raw insert",
            )
        )
    return rows


def other_broker_rows(
    broker: str, other: dict[str, Any], base: dict[str, Figure]
) -> list[list[str]]:
    """The Kafka figures measured on another broker, each named with it."""
    path = other["kafka path"]
    rows = [
        report.row(f"kafka-python consume ({broker})", other["consume"], "rec/s"),
        report.row(f"  ({broker}) SQLite insert, just before each drain", path["insert"], "rows/s"),
        report.row(f"  ({broker}) bound with that insert", path["bound"], "rec/s"),
        report.row(
            f"Kafka path: drain of {path['records']} via kafka-demo local ({broker})",
            path["records_per_s"],
            "rec/s",
            path["to bound"].median,
            "bound (goal >= 0.8)",
        ),
    ]
    for size, pool in other["pool sizes"].items():
        rows += [
            report.row(
                f"  (PoolSize {size}, {broker}) hand-written kafka-python -> SQLite",
                pool["handwritten"],
                "rec/s",
            ),
            report.row(
                f"drain via kafka-demo local --pool-size {size} ({broker})",
                pool["drain"],
                "rec/s",
                pool["to handwritten"].median,
                "hand-written (goal >= 0.3)",
            ),
        ]
    return rows


def hop_rows(figures: dict[str, Any]) -> list[str]:
    path = figures["in-process drain (now)"]
    hops = path["hop_us_per_record"]
    total = sum(hops.values())
    lines = [
        "Kafka path (now), exclusive time per record, one instrumented in-process drain of "
        f"{path['records']} ({path['instrumented_records_per_s']:.0f} rec/s; not counted: "
        f"{path['idle_after_drain_s']:.2f} s of the last call's empty poll, idle after the drain):"
    ]
    for label, us in sorted(hops.items(), key=lambda item: -item[1]):
        lines.append(f"  {label:34s} {us:8.0f} us  {us / total:5.1%}")
    return lines


def chart_bars(figures: dict[str, Any]) -> list[tuple[str, Figure]]:
    base = figures["baselines"]
    bars = [
        ("consume (baseline)", base["consume"]),
        ("insert (baseline)", base["insert"]),
        ("IoP floor (baseline)", base["floor"]),
        ("bound (baseline)", base["bound"]),
    ]
    for tag in figures["revisions"]:
        run = figures[tag]
        bars += [
            (f"Kafka path {tag}", run["kafka path"]["records_per_s"]),
            (
                f"bare handler beside {tag} (baseline)",
                run["bare handler"]["4 clients"]["requests_per_s"],
            ),
            (f"REST door {tag}", run["REST door"]["4 clients"]["requests_per_s"]),
        ]
    return bars


def durability_line(durability: str, broker: str) -> str:
    synchronous = {"normal": "NORMAL", "full": "FULL"}[durability]
    return (
        f"durability: {durability} (SQLite WAL, synchronous={synchronous}) for the bound's insert,"
        " the bare handler, the hand-written consumer and kafka-demo local (now); broker:"
        f" {broker} unless a figure names another"
    )


def missing_tools() -> list[str]:
    return [
        name for name in ("matplotlib", "pyinstrument") if importlib.util.find_spec(name) is None
    ]


def main() -> int:
    args = parse_args()
    if missing := missing_tools():
        print(f"missing {', '.join(missing)}: pip install -r {BENCH_DIR / 'requirements.txt'}")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="kafka-demo-bench-") as folder,
        ExitStack() as running,
    ):
        bootstraps = {
            kind: running.enter_context(brokers.running(kind))
            for kind in brokers.CHOICES[args.broker]
        }
        figures = measure(args, bootstraps, Path(folder))
    figures["seconds"] = time.monotonic() - started
    figures["cpus"] = os.cpu_count()
    figures["durability"] = args.durability
    figures["load average"] = os.getloadavg()
    rows = table_rows(figures)
    print(durability_line(args.durability, figures["broker"]))
    print(report.table(rows))
    print("\n".join(hop_rows(figures)))
    report.write_json(OUT / "bench.json", figures)
    (OUT / "bench.md").write_text(
        durability_line(args.durability, figures["broker"])
        + "\n\n"
        + report.markdown(rows)
        + "\n\n"
        + "\n".join(hop_rows(figures))
    )
    report.chart(
        OUT / "bench.png",
        chart_bars(figures),
        f"throughput per path, median of {args.reps} (min-max bars), {os.cpu_count()} cores",
    )
    print(f"{figures['seconds']:.0f} s; figures in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
