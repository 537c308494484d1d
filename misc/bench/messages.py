"""Microseconds per message to build one, and to send it through IoP's serialization and back.

    python misc/bench/messages.py [--before REV] [--reps 7] [--loops 20000]

Each source tree (this one, and REV's src/python with --before) is timed in a
process of its own, the trees taking turns (in alternating order) repetition by
repetition so that a change of machine load hits both alike; the best repetition of each is
reported (the usual way of timing small operations: slower runs are noise).
Serialization runs IoP's own `dispatch_serializer`/`dispatch_deserializer`
with the local IRIS stand-in at the seam, as the local mode does. A way of
building that a tree does not support is shown as "-".
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parents[1]
RAW = b'{"name": "apple", "price": 10.5}'


def operations() -> dict[str, Callable[[], Any]]:
    """What is timed, by label; imported late so that each tree uses its own modules."""
    from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer
    from iop.runtime import iris as iop_iris

    from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
    from kafka_demo.msg import KafkaRawMessage, ProductSQLMessage

    standin = IrisStandIn()
    iop_iris.get_iris = lambda namespace=None: standin  # the one seam, as in the local mode
    price = Decimal("10.50")
    product = ProductSQLMessage(name="apple", price=price)
    raw = KafkaRawMessage(value=RAW)
    product_serial = dispatch_serializer(product)
    raw_serial = dispatch_serializer(raw)
    return {
        "build product, keywords": lambda: ProductSQLMessage(name="apple", price=price),
        "build product, positional": lambda: ProductSQLMessage("apple", price),
        "build raw, keywords": lambda: KafkaRawMessage(value=RAW),
        "build raw, positional": lambda: KafkaRawMessage(RAW),
        "serialize product": lambda: dispatch_serializer(product),
        "deserialize product": lambda: dispatch_deserializer(product_serial),
        "serialize raw": lambda: dispatch_serializer(raw),
        "deserialize raw": lambda: dispatch_deserializer(raw_serial),
    }


def time_once(loops: int) -> dict[str, float | None]:
    """One repetition: microseconds per call of each operation, None if the tree lacks it."""
    timings: dict[str, float | None] = {}
    for label, operation in operations().items():
        try:
            operation()
        except TypeError:
            timings[label] = None
            continue
        timings[label] = timeit.timeit(operation, number=loops) / loops * 1e6
    return timings


def run_tree(src: Path, loops: int) -> dict[str, float | None]:
    command = [sys.executable, __file__, "--child", "--loops", str(loops)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(BENCH_DIR)])}
    found = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(found)


def best(runs: list[dict[str, float | None]]) -> dict[str, float | None]:
    labels = runs[0].keys()
    # The ignore: a label measured in one run is measured in all of them, which mypy cannot
    # see through the Optional.
    return {
        label: None if runs[0][label] is None else min(run[label] for run in runs)  # type: ignore[type-var]
        for label in labels
    }


def print_table(results: dict[str, dict[str, float | None]]) -> None:
    tags = list(results)
    print("| operation | " + " | ".join(f"{tag} (us)" for tag in tags) + " |")
    print("|---|" + "---|" * len(tags))
    for label in results[tags[0]]:
        cells = [results[tag][label] for tag in tags]
        print(f"| {label} | " + " | ".join("-" if c is None else f"{c:.2f}" for c in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="also time this git revision (e.g. main)")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--loops", type=int, default=20_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(time_once(args.loops)))
        return
    with tempfile.TemporaryDirectory() as work:
        trees = {"now": REPO / "src" / "python"}
        if args.before:
            from run import revision_source  # the full benchmark's imports, only when needed

            trees = {"before": revision_source(args.before, Path(work)), **trees}
        runs: dict[str, list[dict[str, float | None]]] = {tag: [] for tag in trees}
        for rep in range(args.reps):
            order = list(trees.items())
            for tag, src in order if rep % 2 == 0 else reversed(order):
                runs[tag].append(run_tree(src, args.loops))
    print_table({tag: best(tag_runs) for tag, tag_runs in runs.items()})


if __name__ == "__main__":
    main()
