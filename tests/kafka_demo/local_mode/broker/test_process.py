"""process.py, the base both embedded brokers stand on, with small real child processes in
the broker's place: a start that fails says why with the log's last lines, a port someone
else holds is never taken for ours, and a stop ends the process whatever it does."""

import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kafka_demo.local_mode.broker.ports import PortInUse, accepts, free_port, port_is_free
from kafka_demo.local_mode.broker.process import BrokerProcess
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker

EXITS_AT_ONCE = """
import sys
print("reading the configuration")
print("  at a stack frame that is left out")
print("FATAL: the configuration names no listener")
sys.exit(3)
"""
LISTENS_SILENTLY = """
import signal, socket, sys, time
{on_term}
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
while True:
    time.sleep(1)
"""
IGNORES_SIGTERM = "signal.signal(signal.SIGTERM, signal.SIG_IGN)"


class ScriptBroker(BrokerProcess):
    """A Python script in a broker's place, its output in `output`."""

    name = "the script"

    def __init__(self, script: str, output: Path, port: int | None = None) -> None:
        super().__init__(port or free_port())
        self.script = script
        self.output = output
        self.prepared = False

    @property
    def output_path(self) -> Path:
        return self.output

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.script, str(self.port)]

    def prepare(self) -> None:
        self.prepared = True

    def durability(self) -> str:
        return "a script keeps nothing"


class PortStolenAtLaunch(ScriptBroker):
    """Another process takes the port between the check and the start (here, the test's own
    socket), while our process never listens."""

    def prepare(self) -> None:
        self.thief = socket.socket()
        self.thief.bind(("127.0.0.1", self.port))
        self.thief.listen()


@pytest.fixture
def started() -> Iterator[list[BrokerProcess]]:
    """Registers what a test starts, killed after it if still running."""
    processes: list[BrokerProcess] = []
    yield processes
    for process in processes:
        process.kill()


def silent_listener(tmp_path: Path, on_term: str = "") -> ScriptBroker:
    return ScriptBroker(LISTENS_SILENTLY.format(on_term=on_term), tmp_path / "out.log")


def test_a_broker_that_exits_at_start_says_its_code_and_its_logs_last_lines(
    tmp_path: Path,
) -> None:
    broker = ScriptBroker(EXITS_AT_ONCE, tmp_path / "out.log")

    with pytest.raises(RuntimeError) as failed:
        broker.start(timeout=30)

    assert str(failed.value) == (
        "the script exited at start with code 3: reading the configuration"
        " / FATAL: the configuration names no listener"
    )
    assert broker.pid is None
    assert broker.running is False


def test_a_process_that_listens_but_never_answers_is_stopped_after_the_timeout(
    tmp_path: Path,
) -> None:
    broker = silent_listener(tmp_path)
    began = time.monotonic()

    with pytest.raises(TimeoutError) as failed:
        broker.start(timeout=1.5)

    assert str(failed.value) == f"the script did not answer on {broker.bootstrap}"
    assert time.monotonic() - began < 10
    assert broker.pid is None
    assert not accepts(broker.host, broker.port)


def test_a_taken_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        broker = silent_listener(tmp_path)
        broker.port = other.getsockname()[1]

        with pytest.raises(PortInUse) as taken:
            broker.start(timeout=5)

    assert taken.value.port == broker.port
    assert broker.prepared is False
    assert broker.pid is None
    assert not (tmp_path / "out.log").exists()


@pytest.mark.parametrize(
    "script",
    [
        pytest.param("import time; time.sleep(60)", id="ours-never-listens"),
        pytest.param(LISTENS_SILENTLY.format(on_term=""), id="ours-cannot-bind-and-exits"),
    ],
)
def test_a_port_taken_after_the_check_is_never_taken_for_our_broker(
    script: str, tmp_path: Path
) -> None:
    broker = PortStolenAtLaunch(script, tmp_path / "out.log")
    try:
        with pytest.raises(PortInUse) as taken:
            broker.start(timeout=10)
    finally:
        broker.thief.close()

    assert taken.value.port == broker.port
    assert broker.pid is None


def test_a_started_broker_is_ours_answers_and_stops(started: list[BrokerProcess]) -> None:
    with EmbeddedBroker() as broker:
        started.append(broker)
        pid = broker.pid
        assert broker.running is True
        assert accepts(broker.host, broker.port)

    assert pid is not None
    assert broker.running is False and broker.pid is None
    assert _gone(pid)
    assert port_is_free(broker.host, broker.port)
    assert broker.stop() is False  # stopped already


def test_a_stop_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    broker = silent_listener(tmp_path, on_term=IGNORES_SIGTERM)
    broker.launch()
    pid = broker.pid
    assert pid is not None
    _wait_for(lambda: accepts(broker.host, broker.port))
    began = time.monotonic()

    assert broker.stop(timeout=0.5) is True

    assert time.monotonic() - began < 5
    assert _gone(pid)


def test_kill_ends_the_process_without_its_shutdown(tmp_path: Path) -> None:
    broker = silent_listener(tmp_path, on_term=IGNORES_SIGTERM)
    broker.launch()
    pid = broker.pid
    assert pid is not None

    broker.kill()

    assert _gone(pid)
    assert broker.running is False


def test_a_forked_child_does_not_stop_the_broker_it_did_not_start(
    started: list[BrokerProcess],
) -> None:
    """A gunicorn worker forked from `kafka-demo local` inherits the broker object."""
    broker = EmbeddedBroker().start()
    started.append(broker)

    child = os.fork()
    if child == 0:
        os._exit(0 if broker.stop() is False else 1)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert broker.running is True
    assert accepts(broker.host, broker.port)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)
