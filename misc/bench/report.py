"""The report of one run, its JSON and its chart (docs/performance.md, "The goals")."""

import html
import json
import re
from pathlib import Path
from typing import Any

from harness import Figure

from kafka_demo.defaults import IRIS_KAFKA_SERVICE

HEADER = "| figure | median (min-max) | floor | ratio | gap, us a record | goal |"
FLAMES = {
    "flame-server-drain-gil.svg": "`kafka-demo local` draining, threads holding the lock",
    "flame-server-drain-idle.svg": "`kafka-demo local` draining, idle threads too",
    "flame-server-rest-4-clients-gil.svg": "`kafka-demo local` under 4 REST clients",
    "flame-one-process-drain-gil.svg": "the same drain in one process (kafka_path.py)",
}
REST = [  # the figure, its key, unit and goal: "fair bare handler" its floor, "REST door" it
    (" p50, 1 client", "1 p50_ms", "ms", ("<=", 1.3)),
    (" p99, 1 client", "1 p99_ms", "ms", None),
    (", 4 clients", "4 requests_per_s", "req/s", (">=", 0.8)),
]
Goal = tuple[str, float] | None
_FRAME = re.compile(r"<title>(.+?) \([\d,]+ samples?, ([\d.]+)%\)</title>")
PARTS = {  # parts of the work, each a set of functions that do not call one another
    "the three writes (kafka_demo.storage)": r"insert_with_(sql|sqlalchemy|iris_orm) \(",
    "SQLite's execute and commit, every caller": r"DefaultDialect\.do_(execute|commit) ",
    "IoP's (de)serialization of messages": r"dispatch_(serializer|deserializer) \(iop/",
    "IoP's handling of EnsLib.Kafka.Message (class lookups, failed import)": (
        r"deserialize_persistent_message \(iop/"
    ),
    "the offsets global (GlobalOffsetStore)": r"GlobalOffsetStore\.\w+ \(",
    "the trace (SqlTrace, its writer thread included)": (
        r"SqlTrace\.(new_session|record|finish|end_session|_write_every) \("
    ),
    "kafka-python poll and commit": r"KafkaConsumer\.(poll|commit) \(",
    "Flask, the REST door's app": r"Flask\.wsgi_app \(",
}


def us(rate: float) -> float:
    """Microseconds a record at `rate` records per second."""
    return 1e6 / rate


def number(value: float, unit: str) -> str:
    """A figure as the report prints it: a latency of about 1 ms needs its hundredths."""
    return f"{value:,.2f}" if unit == "ms" else f"{value:,.1f}"


def brokers(figures: dict[str, Any]) -> list[str]:
    return [kind for kind in figures if kind not in ("floors", "one process")]


def bound_us(consume: Figure, floors: dict[str, Figure]) -> float:
    """The fair bound's time a record: consume + IoP's floor + the write floor."""
    return consume.median + floors["iop floor, Kafka doors"].median + floors["write floor"].median


class Report:
    """The table's rows, and the goals they met."""

    def __init__(self) -> None:
        self.rows = [HEADER, "|" + " --- |" * 6]
        self.goals: list[tuple[str, bool]] = []

    def row(self, name: str, value: Figure, unit: str = "us", *others: str) -> None:
        low, high = number(min(value), unit), number(max(value), unit)
        cell = f"{number(value.median, unit)} {unit} ({low}-{high})"
        self.rows.append("| " + " | ".join([name, cell, *(others or [""] * 4)]) + " |")

    def against(self, name: str, value: Figure, unit: str, floor: float, goal: Goal = None) -> None:
        """A row beside its floor; its gap in us a record, of a rate its inverse's."""
        ratio, verdict = value.median / floor, ""
        if goal is not None:
            sign, bound = goal
            met = ratio >= bound if sign == ">=" else ratio <= bound
            self.goals.append((f"{name}: {ratio:.2f}x, goal {sign} {bound}", met))
            verdict = f"{sign} {bound}: {'met' if met else 'missed'}"
        gap = (value.median - floor) * (1e3 if unit == "ms" else 1.0)
        if unit.endswith("/s"):
            gap = us(value.median) - us(floor)
        floor_cell = f"{number(floor, unit)} {unit}"
        self.row(name, value, unit, floor_cell, f"{ratio:.2f}x", f"{gap:+,.0f}", verdict)

    def kafka(self, kind: str, found: dict[str, Any], floors: dict[str, Figure]) -> None:
        """One broker's figures against the fair bound and the hand-written consumer."""
        self.row(f"floor: kafka-python consume ({kind}), a record", found["consume us"])
        bound = Figure([us(bound_us(found["consume us"], floors))])
        self.row(f"fair bound 1/(consume + IoP floor + write floor) ({kind})", bound, "rec/s")
        for size in (key for key in found if key.isdigit()):
            drain, peer = found[size]["drain"], found[size]["handwritten"]
            at = f"({kind}, PoolSize {size})"
            if size == "1":
                self.against(f"Kafka path: drain {at}", drain, "rec/s", bound.median, (">=", 0.8))
            self.row(f"floor: fair hand-written consumer {at}", peer, "rec/s")
            goal = (">=", 0.5) if size == "1" else None
            self.against(f"drain vs hand-written {at}", drain, "rec/s", peer.median, goal)
            if "door 1 p50_ms" in found[size]:
                self.rest(found[size])
        both, alone = found["1"]["drain"], found["alone"]
        self.row(
            f"drain, KafkaDemoBS alone (--disable {IRIS_KAFKA_SERVICE}) ({kind})", alone, "rec/s"
        )
        self.against(
            f"drain, both doors vs KafkaDemoBS alone ({kind})", both, "rec/s", alone.median
        )

    def rest(self, pool: dict[str, Figure]) -> None:
        for name, key, unit, goal in REST:
            bare, door = pool[f"bare {key}"], pool[f"door {key}"]
            self.row(f"floor: fair bare handler{name}", bare, unit)
            self.against(f"REST door{name}", door, unit, bare.median, goal)
        one_client = 1e3 / pool["door 1 p50_ms"].median
        name = "REST door, 4 clients vs its 1 client's 1/p50"
        self.against(name, pool["door 4 requests_per_s"], "req/s", one_client, (">=", 1.0))

    def one_process(self, one: dict[str, Figure], drain: Figure, floors: dict[str, Figure]) -> None:
        """The drain in one process beside the server's; each route beside its write floor."""
        name = "drain in one process vs the server's (PoolSize 1)"
        self.against(name, one["records_per_s"], "rec/s", drain.median)
        self.row("LocalStorageBO's IoP dispatch alone, no write", one["dispatch alone us"])
        for route in ("sql", "sqlalchemy", "iris"):
            name = f"route {route} via LocalStorageBO vs its write"
            self.against(name, one[f"{route} us"], "us", floors[f"write {route}"].median)


def render(figures: dict[str, Any], context: str, out: Path) -> str:
    floors, report = figures["floors"], Report()
    for name, value in floors.items():
        report.row(f"floor: {name}, a record", value)
    for kind in brokers(figures):
        report.kafka(kind, figures[kind], floors)
    report.one_process(figures["one process"], figures[brokers(figures)[0]]["1"]["drain"], floors)
    met = sum(ok for _, ok in report.goals)
    lines = [context, "", *report.rows, "", f"Goals met: {met} of {len(report.goals)}"]
    lines += [f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in report.goals]
    lines += ["", "Flame graphs (py-spy, in misc/bench/out/), and where their samples go:"]
    for name, what in FLAMES.items():
        lines.append(f"- `{name}`: {what}")
        lines += [f"  - {percent:4.1f}% {part}" for part, percent in where_time_goes(out / name)]
    return "\n".join(lines)


def where_time_goes(svg: Path) -> list[tuple[str, float]]:
    """Each part's percent of the graph's samples, summed over its functions' frames."""
    if not svg.exists():
        return []
    frames = [(html.unescape(t), float(p)) for t, p in _FRAME.findall(svg.read_text())]
    return [
        (part, sum(percent for title, percent in frames if re.match(pattern, title)))
        for part, pattern in PARTS.items()
    ]


def write_json(path: Path, figures: dict[str, Any]) -> None:
    def plain(value: Any) -> Any:
        if isinstance(value, Figure):
            spread = (max(value) - min(value)) / value.median if value.median else 0.0
            return {"values": list(value), "median": value.median, "spread": spread}
        return {k: plain(v) for k, v in value.items()} if isinstance(value, dict) else value

    path.write_text(json.dumps(plain(figures), indent=2))


def chart(path: Path, figures: dict[str, Any], reps: int) -> None:
    """Microseconds a record of each path beside its floor (PoolSize 1, first broker)."""
    from matplotlib.figure import Figure as Plot

    floors, kind = figures["floors"], brokers(figures)[0]
    pool, one = figures[kind]["1"], figures["one process"]
    bars = {
        "fair bound (floor)": bound_us(figures[kind]["consume us"], floors),
        "Kafka path drain": us(pool["drain"].median),
        "drain, KafkaDemoBS alone": us(figures[kind]["alone"].median),
        "drain, one process": us(one["records_per_s"].median),
        "hand-written (floor)": us(pool["handwritten"].median),
        "bare handler, 4 clients (floor)": us(pool["bare 4 requests_per_s"].median),
        "REST door, 4 clients": us(pool["door 4 requests_per_s"].median),
    }
    plot = Plot(figsize=(9, 5))
    axes = plot.subplots()
    colors = ["#8c8c8c" if "floor" in name else "#1f77b4" for name in bars]
    container = axes.bar(range(len(bars)), list(bars.values()), color=colors)
    axes.bar_label(container, fmt="{:,.0f}", fontsize=8)
    axes.set_xticks(range(len(bars)), list(bars), rotation=25, ha="right", fontsize=8)
    axes.set_ylabel("microseconds a record (lower is faster)")
    axes.set_title(f"each path beside its floor ({kind}, PoolSize 1, median of {reps})")
    plot.tight_layout()
    plot.savefig(path, dpi=110)
