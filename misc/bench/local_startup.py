"""How fast `kafka-demo local` is ready, and how much memory it holds: a script, not a test.

Starts the installed `kafka-demo local` (with its embedded broker) on free ports
and a temporary database, times it until GET /health answers 200, sends one
product, then sums the resident memory (VmRSS) of its process tree without the
broker. Three runs; prints each and the median. Linux only (/proc).

    python misc/bench/local_startup.py
"""

import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from kafka_demo.local_mode.broker.tansu import free_port

KAFKA_DEMO = str(Path(sys.executable).with_name("kafka-demo"))
RUNS = 3


def process_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command name, resident kB), from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = dict(
                line.split(":", 1)
                for line in (entry / "status").read_text().splitlines()
                if ":" in line
            )
        except OSError:
            continue
        rss = int(status.get("VmRSS", "0 kB").split()[0])
        table[int(entry.name)] = (int(status["PPid"]), status["Name"].strip(), rss)
    return table


def tree_rss_mb(root: int) -> tuple[float, list[str]]:
    """Resident memory of `root` and its descendants, the broker (tansu) excluded."""
    table = process_table()
    members, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        if pid in table and not table[pid][1].startswith("tansu"):
            members.append(pid)
            frontier.extend(child for child, (parent, _, _) in table.items() if parent == pid)
    return sum(table[pid][2] for pid in members) / 1024, [table[pid][1] for pid in members]


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
