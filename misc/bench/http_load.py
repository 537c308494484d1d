"""gunicorn servers started for the benchmark, and the REST load: wrk from Debian's packages."""

import http.client
import os
import re
import subprocess
import sys
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
def serving(
    command: list[str], env: dict[str, str], port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until the block ends; it is ready once GET /health answers 200 or 404."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: _status(port, "/health") in (200, 404), 60, f"{command[2:4]}")
            yield process
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
) -> AbstractContextManager[subprocess.Popen[bytes]]:
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


WRK_SCRIPT = BENCH_DIR / "post.lua"
WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def load(port: int, clients: int, seconds: float) -> dict[str, float]:
    """wrk (C, out of the interpreter the server runs on): `clients` keep-alive connections
    POST products for `seconds`. Requests/s and the p50 and p99 latency in ms."""
    command = ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds:g}s"]
    command += ["--latency", "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict[str, float]:
    """The figures of wrk's report; a non-2xx answer or a socket error fails the load."""
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw failed requests:\n{output}")
    found: dict[str, float] = {}
    for line in output.splitlines():
        words = line.split()
        if words[:1] in (["50%"], ["99%"]):
            value = re.fullmatch(r"([\d.]+)(us|ms|s)", words[1])
            assert value is not None, line
            found[f"p{words[0][:2]}_ms"] = float(value[1]) * WRK_UNITS[value[2]]
        elif words[:1] == ["Requests/sec:"]:
            found["requests_per_s"] = float(words[1])
    return found
