"""TCP ports of the local mode: is one free, does a broker answer there, and who listens on it."""

import contextlib
import os
import socket
import struct
import time
from pathlib import Path

_LISTEN = "0A"  # the state column of /proc/net/tcp for a listening socket


def free_port() -> int:
    """A loopback port nothing listens on now (the system's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PortInUse(OSError):
    """Another process listens on a port the local mode needs."""

    def __init__(self, port: int) -> None:
        super().__init__(f"port {port} is already in use")
        self.port = port


def split_address(address: str) -> tuple[str, int]:
    """HOST:PORT (the first of a comma-separated bootstrap list) as a host and a port."""
    host, _, port = address.split(",")[0].strip().rpartition(":")
    return host or "127.0.0.1", int(port)


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (with SO_REUSEADDR, as gunicorn and Tansu
    bind, so a port left in TIME_WAIT by a previous run counts as free)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts a TCP connection on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def broker_answers(bootstrap: str, timeout: float) -> bool:
    """Whether a Kafka-protocol broker answers at `bootstrap` within `timeout` seconds.

    A plain TCP connect, retried silently until the deadline, then one ApiVersions
    request, the first request every Kafka client sends. No Kafka client is used:
    kafka-python logs each refused connection as an ERROR, so connecting one before
    the broker listens would print errors on a normal start, and it does not bound
    its wait for a server that accepts but does not speak Kafka.
    """
    host, port = split_address(bootstrap)
    deadline = time.monotonic() + timeout
    while not accepts(host, port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return answers_api_versions(host, port, max(0.5, deadline - time.monotonic()))


_API_VERSIONS = 18
_CORRELATION_ID = 0x6B64
_CLIENT_ID = b"kafka-demo"


def answers_api_versions(host: str, port: int, timeout: float) -> bool:
    """Send ApiVersions v0 and check the answer: our correlation id and error code 0.

    Kafka protocol guide: a request is a 4-byte size, then api_key (int16),
    api_version (int16), correlation_id (int32), client_id (int16 length, bytes);
    the v0 response starts with correlation_id (int32) and error_code (int16).
    """
    header = struct.pack(">hhih", _API_VERSIONS, 0, _CORRELATION_ID, len(_CLIENT_ID))
    request = header + _CLIENT_ID
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.settimeout(timeout)
            connection.sendall(struct.pack(">i", len(request)) + request)
            (size,) = struct.unpack(">i", _read_exactly(connection, 4))
            if not 6 <= size <= 1_000_000:
                return False
            correlation_id, error_code = struct.unpack(">ih", _read_exactly(connection, 6))
    except (OSError, struct.error):
        return False
    return correlation_id == _CORRELATION_ID and error_code == 0


def _read_exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return data


def listens(pid: int, port: int) -> bool | None:
    """Whether process `pid` holds a listening TCP socket on `port`.

    Read from Linux's /proc: the inodes of the sockets listening on the port,
    then the process's open file descriptors. None where /proc cannot tell.
    """
    inodes = _listening_inodes(port)
    if inodes is None:
        return None
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False  # the process is gone
    except OSError:
        return None
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return True
    return False


def _listening_inodes(port: int) -> set[str] | None:
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    inodes: set[str] = set()
    for table in tables:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == _LISTEN:
                inodes.add(fields[9])
    return inodes
