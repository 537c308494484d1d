"""The report of one benchmark run: each floor, each figure against its floor, each gap in
microseconds per record, and which goals of the issue are met; its JSON and its chart."""

import argparse
import json
from pathlib import Path
from typing import Any

from flames import where_time_goes
from stats import Figure, figure

HEADER = ["figure", "median (min-max)", "floor", "ratio", "gap, us a record", "goal"]
FLAMES = {
    "flame-server-drain-gil.svg": "`kafka-demo local` draining, threads holding the lock",
    "flame-server-drain-idle.svg": "`kafka-demo local` draining, idle threads too",
    "flame-server-rest-4-clients-gil.svg": "`kafka-demo local` under 4 REST clients",
    "flame-one-process-drain-gil.svg": "the same drain in one process (kafka_path.py)",
}


def us(rate: float) -> float:
    """Microseconds a record at `rate` records per second."""
    return 1e6 / rate


def cell(value: Figure, unit: str) -> str:
    return f"{value.median:,.1f} {unit} ({value.low:,.1f}-{value.high:,.1f})"


class Rows:
    """The table, and the goals it met."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.goals: list[tuple[str, bool]] = []

    def floor(self, name: str, value: Figure, unit: str = "us") -> None:
        self.rows.append([name, cell(value, unit), "", "", "", ""])

    def against(
        self,
        name: str,
        value: Figure,
        unit: str,
        floor: float,
        gap_us: float,
        goal: tuple[str, float] | None = None,
    ) -> None:
        """`value` against `floor` (same unit); a goal (">=" or "<=", bound) is checked."""
        ratio = value.median / floor
        goal_text = ""
        if goal is not None:
            sign, bound = goal
            met = ratio >= bound if sign == ">=" else ratio <= bound
            self.goals.append((f"{name}: {ratio:.2f}x, goal {sign} {bound}", met))
            goal_text = f"{sign} {bound}: {'met' if met else 'missed'}"
        self.rows.append(
            [
                name,
                cell(value, unit),
                f"{floor:,.1f} {unit}",
                f"{ratio:.2f}x",
                f"{gap_us:+,.0f}",
                goal_text,
            ]
        )

    def markdown(self) -> str:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in self.rows])


def floor_rows(rows: Rows, floors: dict[str, Figure]) -> None:
    for name, value in floors.items():
        rows.floor(f"floor: {name}, a record", value)


def kafka_rows(rows: Rows, kind: str, found: dict[str, Any], floors: dict[str, Figure]) -> None:
    """The Kafka figures of one broker, against the fair bound and the hand-written consumer."""
    consume = found["consume us"]
    rows.floor(f"floor: kafka-python consume ({kind}), a record", consume)
    bound_us = (
        consume.median + floors["iop floor, Kafka doors"].median + floors["write floor"].median
    )
    bound = figure([us(bound_us)])
    rows.floor(f"fair bound 1/(consume + IoP floor + write floor) ({kind})", bound, "rec/s")
    for size, pool in ((key, value) for key, value in found.items() if key.isdigit()):
        drain, peer = pool["drain"], pool["handwritten"]
        label = f"({kind}, PoolSize {size})"
        if size == "1":
            gap = us(drain.median) - bound_us
            rows.against(
                f"Kafka path: drain {label}", drain, "rec/s", bound.median, gap, (">=", 0.8)
            )
        rows.floor(f"floor: fair hand-written consumer {label}", peer, "rec/s")
        gap = us(drain.median) - us(peer.median)
        goal = (">=", 0.5) if size == "1" else None
        rows.against(f"drain vs hand-written {label}", drain, "rec/s", peer.median, gap, goal)
        if "door 1 p50_ms" in pool:
            rest_rows(rows, pool)


def rest_rows(rows: Rows, pool: dict[str, Figure]) -> None:
    bare_p50, door_p50 = pool["bare 1 p50_ms"], pool["door 1 p50_ms"]
    rows.floor("floor: fair bare handler p50, 1 client", bare_p50, "ms")
    gap = (door_p50.median - bare_p50.median) * 1e3
    rows.against("REST door p50, 1 client", door_p50, "ms", bare_p50.median, gap, ("<=", 1.3))
    rows.floor("floor: fair bare handler p99, 1 client", pool["bare 1 p99_ms"], "ms")
    gap = (pool["door 1 p99_ms"].median - pool["bare 1 p99_ms"].median) * 1e3
    rows.against(
        "REST door p99, 1 client", pool["door 1 p99_ms"], "ms", pool["bare 1 p99_ms"].median, gap
    )
    bare4, door4 = pool["bare 4 requests_per_s"], pool["door 4 requests_per_s"]
    rows.floor("floor: fair bare handler, 4 clients", bare4, "req/s")
    gap = us(door4.median) - us(bare4.median)
    rows.against("REST door, 4 clients", door4, "req/s", bare4.median, gap, (">=", 0.8))
    one_client = 1e3 / door_p50.median
    gap = us(door4.median) - us(one_client)
    rows.against(
        "REST door, 4 clients vs its 1 client's 1/p50", door4, "req/s", one_client, gap, (">=", 1.0)
    )


def process_rows(
    rows: Rows, one: dict[str, Figure], server: Figure, floors: dict[str, Figure]
) -> None:
    """The drain in one process beside the server's, and each route beside its write floor."""
    rows.against(
        "drain in one process vs the server's (PoolSize 1)",
        one["records_per_s"],
        "rec/s",
        server.median,
        us(one["records_per_s"].median) - us(server.median),
    )
    rows.floor("LocalStorageBO's IoP dispatch alone, no write", one["dispatch alone us"])
    for route in ("sql", "sqlalchemy", "iris"):
        cost, floor = one[f"{route} us"], floors[f"write {route}"].median
        rows.against(
            f"route {route} via LocalStorageBO vs its write", cost, "us", floor, cost.median - floor
        )


def flame_lines(out: Path) -> list[str]:
    """Each flame graph, and each part's share of its samples (flames.PARTS)."""
    lines = ["", "Flame graphs (py-spy, in misc/bench/out/), and where their samples go:"]
    for name, what in FLAMES.items():
        lines.append(f"- `{name}`: {what}")
        lines += [f"  - {percent:4.1f}% {part}" for part, percent in where_time_goes(out / name)]
    return lines


def render(figures: dict[str, Any], args: argparse.Namespace, context: str, out: Path) -> str:
    rows = Rows()
    floor_rows(rows, figures["floors"])
    kinds = [kind for kind in figures if kind not in ("floors", "one process")]
    for kind in kinds:
        kafka_rows(rows, kind, figures[kind], figures["floors"])
    process_rows(rows, figures["one process"], figures[kinds[0]]["1"]["drain"], figures["floors"])
    met = sum(ok for _, ok in rows.goals)
    goals = [f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in rows.goals]
    return "\n".join(
        [context, "", rows.markdown(), "", f"Goals met: {met} of {len(rows.goals)}", *goals]
        + flame_lines(out)
    )


def write_json(path: Path, figures: dict[str, Any]) -> None:
    def plain(value: Any) -> Any:
        if isinstance(value, Figure):
            return value.as_dict()
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    path.write_text(json.dumps(plain(figures), indent=2))


def chart(path: Path, figures: dict[str, Any], args: argparse.Namespace) -> None:
    """Microseconds a record of each path beside its floor (PoolSize 1, first broker)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    floors = figures["floors"]
    kind = next(kind for kind in figures if kind not in ("floors", "one process"))
    pool = figures[kind]["1"]
    bound = figures[kind]["consume us"].median + floors["iop floor, Kafka doors"].median
    bars = {
        "fair bound (floor)": bound + floors["write floor"].median,
        "Kafka path drain": us(pool["drain"].median),
        "drain, one process": us(figures["one process"]["records_per_s"].median),
        "hand-written (floor)": us(pool["handwritten"].median),
        "bare handler, 4 clients (floor)": us(pool["bare 4 requests_per_s"].median),
        "REST door, 4 clients": us(pool["door 4 requests_per_s"].median),
    }
    plot, axes = plt.subplots(figsize=(9, 5))
    colors = ["#8c8c8c" if "floor" in name else "#1f77b4" for name in bars]
    axes.bar(range(len(bars)), list(bars.values()), color=colors)
    axes.set_xticks(range(len(bars)), list(bars), rotation=25, ha="right", fontsize=8)
    axes.set_ylabel("microseconds a record (lower is faster)")
    axes.set_title(f"each path beside its floor ({kind}, PoolSize 1, median of {args.reps})")
    for index, value in enumerate(bars.values()):
        axes.annotate(f"{value:,.0f}", (index, value), ha="center", va="bottom", fontsize=8)
    plot.tight_layout()
    plot.savefig(path, dpi=110)
    plt.close(plot)
