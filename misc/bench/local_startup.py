"""How fast `kafka-demo local` is ready, and how much memory it holds: a script, not a test.

Starts the installed `kafka-demo local` (with its embedded broker) on free ports
and a temporary database, times it until GET /health answers 200, sends one
product, then sums the resident memory of its process tree (psutil) without the
broker. Three runs; prints each and the median.

    python misc/bench/local_startup.py
"""

import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

from kafka_demo.local_mode.broker.ports import free_port

KAFKA_DEMO = str(Path(sys.executable).with_name("kafka-demo"))
RUNS = 3


def tree_rss_mb(root: int) -> tuple[float, list[str]]:
    """Resident memory of `root` and its descendants, the broker (tansu) excluded."""
    root_process = psutil.Process(root)
    members = [
        process
        for process in [root_process, *root_process.children(recursive=True)]
        if not process.name().startswith("tansu")
    ]
    return sum(p.memory_info().rss for p in members) / 2**20, [p.name() for p in members]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def one_run(workdir: Path) -> tuple[float, float, list[str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        KAFKA_DEMO,
        "local",
        "--port",
        str(port),
        "--broker-port",
        str(free_port()),
        "--db",
        f"sqlite:///{workdir / 'bench.db'}",
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not healthy(url):
            if time.monotonic() - started > 30 or process.poll() is not None:
                raise RuntimeError("kafka-demo local did not become healthy")
            time.sleep(0.02)
        ready = time.monotonic() - started
        request = urllib.request.Request(
            f"{url}/kafka",
            data=b'{"name": "bench", "price": 1}',
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()
        time.sleep(2)  # let the consumer join its group and settle
        rss, names = tree_rss_mb(process.pid)
        return ready, rss, names
    finally:
        process.terminate()
        process.wait(15)


def main() -> None:
    readies, rsses = [], []
    for run in range(1, RUNS + 1):
        with tempfile.TemporaryDirectory() as workdir:
            ready, rss, names = one_run(Path(workdir))
        readies.append(ready)
        rsses.append(rss)
        print(f"run {run}: ready in {ready:.2f} s, RSS {rss:.0f} MB ({', '.join(names)})")
    print(
        f"median: ready in {statistics.median(readies):.2f} s (goal < 3 s), "
        f"RSS {statistics.median(rsses):.0f} MB without the broker (goal < 150 MB)"
    )


if __name__ == "__main__":
    main()
