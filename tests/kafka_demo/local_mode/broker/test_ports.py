"""ports.py on real sockets: a free port, a taken one, a Kafka broker told from a server that
only accepts, and which process listens where."""

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from kafka_demo.local_mode.broker.ports import (
    PortInUse,
    accepts,
    answers_api_versions,
    broker_answers,
    free_port,
    listens,
    port_is_free,
    split_address,
)
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket of this process listening on a loopback port, accepting and saying nothing."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


@pytest.fixture(scope="module")
def tansu() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as broker:
        yield broker


def port_of(server: socket.socket) -> int:
    return server.getsockname()[1]


def test_a_port_is_free_until_a_server_listens_there(listener: socket.socket) -> None:
    unused = free_port()

    assert port_is_free("127.0.0.1", unused) is True
    assert port_is_free("127.0.0.1", port_of(listener)) is False


def test_a_port_in_use_names_its_port() -> None:
    taken = PortInUse(5000)

    assert (str(taken), taken.port) == ("port 5000 is already in use", 5000)
    assert isinstance(taken, OSError)


def test_accepts_only_where_something_listens(listener: socket.socket) -> None:
    assert accepts("127.0.0.1", port_of(listener)) is True
    assert accepts("127.0.0.1", free_port()) is False


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("localhost:9092", ("localhost", 9092)),
        ("10.0.0.1:9093,10.0.0.2:9093", ("10.0.0.1", 9093)),
        (" broker:19092 , other:1", ("broker", 19092)),
        (":9092", ("127.0.0.1", 9092)),
    ],
)
def test_split_address_takes_the_first_host_and_its_port(
    address: str, expected: tuple[str, int]
) -> None:
    assert split_address(address) == expected


def test_a_kafka_broker_answers_api_versions(tansu: EmbeddedBroker) -> None:
    assert answers_api_versions(tansu.host, tansu.port, timeout=5) is True
    assert broker_answers(tansu.bootstrap, timeout=5) is True


def test_a_server_that_accepts_but_says_nothing_is_no_broker_and_the_wait_is_bounded(
    listener: socket.socket,
) -> None:
    started = time.monotonic()

    assert broker_answers(f"127.0.0.1:{port_of(listener)}", timeout=1) is False
    assert time.monotonic() - started < 3


def test_a_server_that_answers_something_else_is_no_broker(listener: socket.socket) -> None:
    """An HTTP server's answer to a Kafka request: a size, then not our correlation id."""

    def answer_like_http() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(1024)
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=answer_like_http, daemon=True)
    thread.start()

    assert answers_api_versions("127.0.0.1", port_of(listener), timeout=2) is False
    thread.join(timeout=5)


def test_nothing_listening_is_no_broker_once_the_time_is_up() -> None:
    started = time.monotonic()

    assert broker_answers(f"127.0.0.1:{free_port()}", timeout=0.5) is False
    assert 0.5 <= time.monotonic() - started < 3


def test_listens_tells_our_listening_socket_from_another_process(
    listener: socket.socket,
) -> None:
    port = port_of(listener)
    assert listens(os.getpid(), port) is True
    sleeper = subprocess.Popen(["sleep", "5"])
    try:
        assert listens(sleeper.pid, port) is False
    finally:
        sleeper.kill()
        sleeper.wait()


def test_listens_says_false_for_a_process_that_is_gone(listener: socket.socket) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()

    assert listens(finished.pid, port_of(listener)) is False


def test_free_port_gives_a_port_a_server_can_listen_on() -> None:
    port = free_port()

    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        assert accepts("127.0.0.1", port)
