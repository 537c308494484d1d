"""One database, one running production: a second `kafka-demo local` is refused, a dead one's
claim is taken over, the read-only commands and `replay` work beside a running instance."""

import json
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from kafka_demo.defaults import TOPIC
from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.claim import claim_path
from kafka_demo.local_mode.viewer import TOKEN_HEADER
from tests.browser.scenario import FAILS_IN_STORAGE, refuse_in_storage
from tests.support.kafka import produce
from tests.support.local_process import LocalProcess, http, kafka_demo


def db_file(local: LocalProcess) -> Path:
    return Path(local.db_url.removeprefix("sqlite:///"))


def rows(local: LocalProcess) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_file(local)) as connection:
        return list(connection.execute("SELECT id, name, price, source FROM product ORDER BY id"))


def wait_for(condition: Callable[[], object], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.3)


def refused_line(local: LocalProcess) -> str:
    assert local.process is not None
    return (
        f"kafka-demo local: the database {db_file(local)} is in use by kafka-demo local"
        f" (pid {local.process.pid}, http://127.0.0.1:{local.port}); one database serves one"
        " running production: stop that one first, or run this one on another database"
        " with --db PATH"
    )


def test_a_second_instance_on_the_same_database_is_refused_before_it_starts_anything(
    local: LocalProcess, tmp_path: Path
) -> None:
    local.start()
    assert http("POST", f"{local.url}/kafka", {"name": "first", "price": 1})[0] == 200
    produce(local.bootstrap, TOPIC, [b'{"name": "from kafka", "price": 2}'])
    wait_for(lambda: len(rows(local)) == 2)
    before = rows(local)

    second_broker_port = free_port()
    started = time.monotonic()
    second = kafka_demo(
        "local", "--port", str(free_port()), "--broker-port", str(second_broker_port),
        "--db", local.db_url, timeout=30,
    )  # fmt: skip
    assert time.monotonic() - started < 10
    assert second.returncode == 1
    assert second.stderr.splitlines() == [refused_line(local)]
    assert rows(local) == before  # keys and rows of the running instance untouched
    assert http("GET", f"{local.url}/health")[0] == 200
    assert http("POST", f"{local.url}/kafka", {"name": "after", "price": 3})[0] == 200
    assert len(rows(local)) == 3


def test_a_claim_left_by_a_killed_instance_is_taken_over_and_logged(
    db_url: str, tmp_path: Path
) -> None:
    first = LocalProcess(db_url, tmp_path / "first.log")
    first.start()
    assert first.process is not None
    first_pid = first.process.pid
    first.kill()  # SIGKILL: the claim file still names it, the kernel released its lock
    assert json.loads(claim_path(db_url).read_text())["pid"] == first_pid

    second = LocalProcess(db_url, tmp_path / "second.log")
    second.start()
    log = second.log_path.read_text()
    assert (
        f"took over the claim on {db_file(second)} left by kafka-demo local (pid {first_pid},"
        f" http://127.0.0.1:{first.port}), which is no longer running"
    ) in log
    assert second.process is not None
    assert json.loads(claim_path(db_url).read_text())["pid"] == second.process.pid
    assert second.stop() == 0
    assert claim_path(db_url).read_text() == ""  # a clean stop leaves no claim to take over

    third = LocalProcess(db_url, tmp_path / "third.log")
    third.start()
    assert third.stop() == 0
    assert "took over the claim" not in third.log_path.read_text()


def test_the_read_only_commands_work_beside_a_running_instance(local: LocalProcess) -> None:
    local.start()
    assert http("POST", f"{local.url}/kafka", {"name": "listed", "price": 4})[0] == 200

    products = kafka_demo("products", "--db", local.db_url)
    trace = kafka_demo("trace", "--db", local.db_url)
    dlq = kafka_demo("dlq", "--bootstrap", local.bootstrap)

    assert (products.returncode, trace.returncode, dlq.returncode) == (0, 0, 0)
    assert "listed" in products.stdout and "1 product(s)" in products.stdout
    assert "KafkaRestBS -> KafkaDemoBP" in trace.stdout
    assert dlq.stdout == "no dead letter in kafka_demo.dlq\n"


def test_replay_while_local_runs_goes_through_the_running_instance(local: LocalProcess) -> None:
    local.start()
    assert http("POST", f"{local.url}/kafka", {"name": "table made", "price": 1})[0] == 200
    refuse_in_storage(db_file(local))
    produce(local.bootstrap, TOPIC, [f'{{"name": "{FAILS_IN_STORAGE}", "price": 3}}'.encode()])
    wait_for(lambda: "Error" in kafka_demo("trace", "--db", local.db_url).stdout)
    with sqlite3.connect(db_file(local)) as connection:
        connection.execute("DROP TRIGGER refuse_row")
    assert local.process is not None

    replay = kafka_demo("replay", "--db", local.db_url)

    assert replay.returncode == 0, replay.stderr
    lines = replay.stdout.splitlines()
    assert lines[0] == (
        f"through the running kafka-demo local (pid {local.process.pid},"
        f" http://127.0.0.1:{local.port})"
    )
    assert re.fullmatch(r"message \d+ \(session \d+\) resent to Python\.KafkaDemoBP as session \d+",
                        lines[1]), lines[1]  # fmt: skip
    assert lines[2] == "replayed 1 of 1 failed input(s)"
    assert [name for _, name, _, _ in rows(local)] == ["table made", FAILS_IN_STORAGE]
    assert "Resent" in kafka_demo("trace", "--db", local.db_url).stdout
    again = kafka_demo("replay", "--db", local.db_url)
    assert again.stdout.splitlines()[1:] == ["nothing to replay: no Kafka input ended in an error"]


def test_the_replay_endpoint_refuses_requests_without_the_token_or_from_another_origin(
    local: LocalProcess,
) -> None:
    local.start()
    token = json.loads(claim_path(local.db_url).read_text())["token"]
    url = f"{local.url}/messages/replay"
    refused = {"error": "resend refused: the request did not come from this instance's"
               " /messages page"}  # fmt: skip

    assert _post(url, {}) == (403, refused)
    assert _post(url, {TOKEN_HEADER: "guessed"}) == (403, refused)
    assert _post(url, {TOKEN_HEADER: token, "Origin": "http://evil.example"}) == (403, refused)
    assert _post(url, {TOKEN_HEADER: token, "Host": f"evil.example:{local.port}"}) == (
        403,
        refused,
    )
    assert _post(url, {TOKEN_HEADER: token, "Origin": local.url}) == (200, {"resent": []})


def _post(url: str, headers: dict[str, str]) -> tuple[int, object]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=b"", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
