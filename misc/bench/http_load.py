"""gunicorn servers started for the benchmark, and a bounded loopback load generator."""

import http.client
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from stats import wait_for

BENCH_DIR = Path(__file__).resolve().parent
GUNICORN_CONF = BENCH_DIR.parents[0] / "deploy" / "gunicorn" / "gunicorn.conf.py"
LOCAL_WORKER_MODEL = {"GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4"}
"""What LocalServer runs (one gthread worker, four threads), so both servers do the same."""


def _status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """Run a server until the block ends; it is ready once GET /health answers 200 or 404."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: _status(port, "/health") in (200, 404), 60, f"{command[2:4]}")
            yield
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within 20 s."""
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bare_handler(
    db_url: str, port: int, log: Path, durability: str = "normal"
) -> AbstractContextManager[None]:
    """bare_app.py under gunicorn with the doors' config file."""
    command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
    command += ["--bind", f"127.0.0.1:{port}", "bare_app:app"]
    env = {
        "BENCH_DB_URL": db_url,
        "BENCH_DURABILITY": durability,
        "GUNICORN_PYTHONPATH": str(BENCH_DIR),
        **LOCAL_WORKER_MODEL,
    }
    return serving(command, env, port, log)


def load(port: int, requests: int, concurrency: int, max_seconds: float) -> dict[str, float]:
    """POST products from `concurrency` keep-alive clients until `requests` or `max_seconds`."""
    numbers = itertools.count()
    latencies: list[float] = []
    failures: list[int] = []
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"}
        while (number := next(numbers)) < requests and time.monotonic() < deadline:
            body = json.dumps({"name": f"http {number}", "price": 1.5})
            started = time.perf_counter()
            connection.request("POST", "/kafka", body, headers)
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append(response.status)
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} request(s) failed, e.g. HTTP {failures[0]}")
    latencies.sort()
    return {
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e3,
        "requests": float(len(latencies)),
    }
