"""Figures, waits, brokers, backlogs, the servers measured and py-spy (docs/performance.md)."""

import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics

BENCH_DIR = Path(__file__).resolve().parent
PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
REPO = BENCH_DIR.parents[1]
OUT = BENCH_DIR / "out"
PYTHONPATH = os.pathsep.join([str(REPO / "src" / "python"), str(BENCH_DIR)])
TOPIC, PARTITIONS = "kafka_demo", 2  # `kafka-demo local`'s topic: a partition a Kafka door
TANSU, APACHE = "tansu", "apache"
BROKERS = {TANSU: (TANSU,), APACHE: (APACHE,), "both": (TANSU, APACHE)}  # the first: every figure
WORKER_MODEL = {"GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4"}  # `kafka-demo local`'s
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # tests.support: `kafka-demo local`, Apache Kafka, PostgreSQL
from tests.support.local_process import LocalProcess  # noqa: E402


class Figure(tuple[float, ...]):
    """One quantity's values over the repetitions: the report gives the median, min and max."""

    median = property(statistics.median)


def wait_for(done: Callable[[], bool], timeout: float, what: str, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(step)


def stored(db_path: Path) -> int:
    try:
        with sqlite3.connect(db_path, timeout=30) as connection:
            return connection.execute("SELECT count(*) FROM product").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def broker(kind: str) -> AbstractContextManager[Any]:
    """The embedded Tansu or a one-broker Apache Kafka: either gives its `bootstrap`."""
    from tests.support.apache_kafka import KafkaCluster

    return EmbeddedBroker() if kind == TANSU else KafkaCluster(1)


def new_topic(bootstrap: str, name: str, partitions: int = PARTITIONS) -> str:
    create_topics(bootstrap, {name: partitions})
    return name


def product_values(count: int, tag: str) -> list[bytes]:
    return [json.dumps({"name": f"{tag} {i}", "price": 1.5}).encode() for i in range(count)]


def produce(
    bootstrap: str, topic: str, values: list[bytes], until: Callable[[], bool], step: float = 0.01
) -> float:
    """Seconds from the first of `values` sent until `until()` holds."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    started = time.perf_counter()
    for value in values:
        producer.send(topic, value)
    producer.flush()
    wait_for(until, 600, "all records stored", step)
    elapsed = time.perf_counter() - started
    producer.close()
    return elapsed


def drain_rate(bootstrap: str, db_path: Path, values: list[bytes], topic: str = TOPIC) -> float:
    target = stored(db_path) + len(values)
    return len(values) / produce(bootstrap, topic, values, lambda: stored(db_path) >= target)


def answers(port: int) -> bool:
    """Whether an HTTP server answers on `port`, whatever its status."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
    except OSError as error:  # an HTTPError is an answer
        return isinstance(error, urllib.error.HTTPError)
    return True


@contextmanager
def running(
    command: list[str], log: Path, ready: Callable[[], Any], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` until the block ends, once `ready()` returned."""
    environment = {**os.environ, **(env or {})}
    with (
        log.open("wb") as output,
        subprocess.Popen(command, env=environment, stdout=output, stderr=output) as process,
    ):
        try:
            ready()
            yield process
        finally:
            process.terminate()  # the block's end waits for it


@contextmanager
def local_mode(
    db_path: Path, log: Path, options: list[str], bootstrap: str | None
) -> Iterator[LocalProcess]:
    """`kafka-demo local`, with its own Tansu or on `bootstrap`, once it has stored a record."""
    local = LocalProcess(f"sqlite:///{db_path}", log, bootstrap, options=tuple(options))
    local.start(timeout=60)
    try:
        drain_rate(local.bootstrap, db_path, product_values(1, "join"))  # KafkaDemoBS joined
        yield local
    finally:
        local.stop(timeout=30)


def handwritten_consumer(
    bootstrap: str, topic: str, db_path: Path, durability: str, log: Path
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    new_topic(bootstrap, topic)
    script = str(BENCH_DIR / "handwritten.py")
    command = [sys.executable, script, bootstrap, topic, str(db_path), durability]
    first = product_values(1, "join")  # once stored, the consumer has joined its group
    return running(command, log, lambda: drain_rate(bootstrap, db_path, first, topic))


def bare_handler(
    db_path: Path, port: int, log: Path, durability: str
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """bare_app.py under gunicorn with the doors' config file and the local worker model."""
    config = REPO / "misc" / "deploy" / "gunicorn" / "gunicorn.conf.py"
    command = [sys.executable, "-m", "gunicorn", "-c", str(config)]
    command += ["--bind", f"127.0.0.1:{port}", "bare_app:app"]
    env = {"BENCH_DB_URL": f"sqlite:///{db_path}", "BENCH_DURABILITY": durability}
    env |= {"GUNICORN_PYTHONPATH": str(BENCH_DIR), **WORKER_MODEL}
    return running(command, log, lambda: wait_for(lambda: answers(port), 60, "gunicorn"), env)


def wrk(port: int, clients: int, seconds: float) -> dict[str, float]:
    """wrk, in C: `clients` keep-alive connections POST products (post.lua) for `seconds`."""
    command = ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds:g}s", "-s"]
    command += [str(BENCH_DIR / "post.lua"), f"http://127.0.0.1:{port}"]
    return read_wrk(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def read_wrk(output: str) -> dict[str, float]:
    """The figures post.lua's `done` prints last; a failed request fails the load."""
    figures = json.loads(output.splitlines()[-1])
    if figures.pop("failed"):
        raise RuntimeError(f"wrk saw failed requests:\n{output}")
    return figures


@contextmanager
def sampled(pid: int, svg: Path, mode: str) -> Iterator[None]:
    """py-spy samples `pid` and its children into `svg` until the block ends; `mode` gil|idle."""
    command = [PY_SPY, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
    command += [f"--{mode}", "--rate", "250", "-o", str(svg)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes the flame graph and exits
        spy.wait(60)
