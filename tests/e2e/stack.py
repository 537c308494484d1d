"""Reaching the running compose stack: addresses, HTTP, Kafka, IRIS SQL, and waiting."""

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from kafka_demo import defaults

ROOT = Path(__file__).resolve().parents[2]
HOST = os.environ.get("E2E_HOST", "localhost")
USERNAME = os.environ.get("IRIS_USERNAME", "SuperUser")
PASSWORD = os.environ.get("IRIS_PASSWORD", "SYS")
TOPIC = defaults.Environment.read().topic
KAFKA = f"{HOST}:29092"
PRODUCTION_BP = defaults.KAFKA_DEMO_BP
STORAGE_BO = defaults.LOCAL_STORAGE_BO
REST_BS = defaults.KAFKA_REST_BS
KAFKA_SERVICES = frozenset({defaults.KAFKA_DEMO_BS, defaults.IRIS_KAFKA_SERVICE})
PORTS = {
    "IRIS superserver": 1972,
    "IRIS web": 53795,
    "gunicorn": 5000,
    "standalone": 5001,
    "Kafka": 29092,
}

T = TypeVar("T")


@dataclass(frozen=True)
class Door:
    name: str
    base_url: str
    basic_auth: bool


DOORS = (
    Door("iris-wsgi", f"http://{HOST}:53795/flask", basic_auth=True),
    Door("iris-gunicorn", f"http://{HOST}:5000", basic_auth=False),
    Door("standalone", f"http://{HOST}:5001", basic_auth=False),
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


def closed_ports() -> list[str]:
    closed = []
    for what, port in PORTS.items():
        try:
            socket.create_connection((HOST, port), timeout=2).close()
        except OSError:
            closed.append(f"{what} ({HOST}:{port})")
    return closed


def request(door: Door, method: str, path: str, body: bytes | None = None) -> Reply:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if door.basic_auth:
        token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    req = urllib.request.Request(door.base_url + path, body, headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return Reply(response.status, _json(response.read()))
    except urllib.error.HTTPError as error:
        return Reply(error.code, _json(error.read()))


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def post_product(door: Door, payload: object) -> Reply:
    return request(door, "POST", "/kafka", json.dumps(payload).encode())


def produce(records: list[tuple[int, bytes]]) -> None:
    """Send (partition, value) records to the demo topic and wait for the broker's ack."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=KAFKA)
    try:
        for partition, value in records:
            producer.send(TOPIC, value=value, partition=partition).get(timeout=30)
    finally:
        producer.close()


def iop_test_command(body: dict[str, object]) -> list[str]:
    """The `iop --test` command of docs/docker.md, as the suite runs it (-T: no terminal)."""
    return [
        "docker", "compose", "exec", "-T", "iris",
        "iop", "--test", "Python.KafkaDemoBO",
        "--classname", "kafka_demo.msg.KafkaTestMessage",
        "--body", json.dumps(body),
    ]  # fmt: skip


def iop_test(body: dict[str, object]) -> subprocess.CompletedProcess[str]:
    command = iop_test_command(body)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def engine_url() -> sa.URL:
    return sa.URL.create("iris", USERNAME, PASSWORD, HOST, 1972, "IRISAPP")


def engine() -> sa.Engine:
    # No pool: a connection is held only while a query runs, so the suite uses one
    # IRIS connection at a time (docs/docker.md, "Community Edition limits").
    return sa.create_engine(engine_url(), poolclass=sa.pool.NullPool)


def products_named(db: sa.Engine, name: str) -> list[tuple[str, Decimal]]:
    query = sa.text("SELECT name, price FROM SQLUser.product WHERE name = :name")
    with db.connect() as connection:
        return [(row[0], Decimal(str(row[1]))) for row in connection.execute(query, {"name": name})]


def last_header_id(db: sa.Engine) -> int:
    with db.connect() as connection:
        return int(
            connection.execute(sa.text("SELECT MAX(ID) FROM Ens.MessageHeader")).scalar() or 0
        )


def sessions_since(db: sa.Engine, header_id: int) -> dict[int, set[tuple[str, str]]]:
    """SessionId -> its (source, target) hops, for headers written after header_id."""
    query = sa.text(
        "SELECT SessionId, SourceConfigName, TargetConfigName FROM Ens.MessageHeader "
        "WHERE ID > :since ORDER BY ID"
    )
    sessions: dict[int, set[tuple[str, str]]] = {}
    with db.connect() as connection:
        for session, source, target in connection.execute(query, {"since": header_id}):
            sessions.setdefault(int(session), set()).add((source, target))
    return sessions


def stored_sessions(db: sa.Engine, header_id: int, services: frozenset[str]) -> list[int]:
    """Sessions after header_id that went service -> BP -> storage BO."""
    return [
        session
        for session, hops in sessions_since(db, header_id).items()
        if any((service, PRODUCTION_BP) in hops for service in services)
        and (PRODUCTION_BP, STORAGE_BO) in hops
    ]


def errors_since(db: sa.Engine, header_id: int) -> list[tuple[int, str, str]]:
    query = sa.text(
        "SELECT SessionId, SourceConfigName, TargetConfigName FROM Ens.MessageHeader "
        "WHERE ID > :since AND IsError = 1"
    )
    with db.connect() as connection:
        return [tuple(row) for row in connection.execute(query, {"since": header_id})]


def eventually(probe: Callable[[], T], done: Callable[[T], bool], seconds: float = 60) -> T:
    """Call probe until done(result) or the time is up; return the last result."""
    deadline = time.monotonic() + seconds
    result = probe()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(1)
        result = probe()
    return result
