"""The local mode on a real PostgreSQL 15 server: the whole production, and several of them.

On PostgreSQL several `kafka-demo local` share one database (kafka_demo.local_mode.instances):
the products and the offsets are common; each instance owns the sessions whose ids it
reserved, and its replay and Resend never touch another running instance's.
"""

import json
import re
import secrets
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event

from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.instances import InstanceRegistration
from kafka_demo.local_mode.iris.iris_standin import SqlGlobals
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.local_mode.trace.queries import failed_inputs
from tests.support.local_process import LocalProcess, http, kafka_demo
from tests.support.local_runtime import hand_over
from tests.support.postgres import PostgresServer, database_of, storage_outage

ROUTES = {"sql", "iris", "sqlalchemy"}
POSTS = 30
"""REST posts, each on a route the BP picks at random: all three are taken but with a chance
of 3 x (2/3)^30, about 1 in 60,000."""
RECORDS = 16
"""Kafka records, each with its own key: both partitions get some but with a chance of 1 in
32,768 (one is KafkaDemoBS's, the other EnsLib.Kafka.Service's)."""
TOTAL = POSTS + RECORDS


@pytest.fixture
def local_on_pg(pg_url: str, tmp_path: Path) -> Iterator[LocalProcess]:
    process = LocalProcess(pg_url, tmp_path / "local.log")
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_the_whole_local_mode_runs_on_postgresql(
    postgres: PostgresServer, local_on_pg: LocalProcess
) -> None:
    database = database_of(local_on_pg.db_url)
    local_on_pg.start(60)
    answers = [
        http("POST", f"{local_on_pg.url}/kafka", {"name": f"rest {n}", "price": 10.5})
        for n in range(POSTS)
    ]
    sent = kafka_demo(
        "produce",
        "--bootstrap",
        local_on_pg.bootstrap,
        "--name",
        "kafka",
        "--price",
        "3",
        "--count",
        str(RECORDS),
    )
    assert sent.returncode == 0, sent.stderr
    wait_for(lambda: postgres.sql("SELECT count(*) FROM product", database) == str(TOTAL))
    messages = http("GET", f"{local_on_pg.url}/health")
    page = urllib.request.urlopen(f"{local_on_pg.url}/messages", timeout=10).read().decode()
    trace = kafka_demo("trace", "--db", local_on_pg.db_url, "--last", "100")
    products = kafka_demo("products", "--db", local_on_pg.db_url)
    assert local_on_pg.stop() == 0

    assert {status for status, _ in answers} == {200}
    assert {body["route"] for _, body in answers} == ROUTES
    ids = [body["id"] for _, body in answers]
    assert ids == sorted(ids) and len(set(ids)) == POSTS  # each its own row, from the server
    rows = postgres.sql("SELECT name, price FROM product ORDER BY id", database).splitlines()
    assert rows[:POSTS] == [f"rest {n}|10.50" for n in range(POSTS)]
    assert rows[POSTS:] == ["kafka|3.00"] * RECORDS
    offsets = postgres.sql(
        "SELECT subscripts, value FROM iris_global WHERE name = '^KafkaDemo.Offset'", database
    ).splitlines()
    # KafkaDemoBS keeps its partition's next offset; EnsLib.Kafka.Service reads the other one.
    assert len(offsets) == 1 and 1 <= int(offsets[0].split("|")[1]) < RECORDS, offsets
    assert messages[0] == 200
    assert page.count("Completed") >= TOTAL
    assert trace.returncode == 0 and trace.stdout.count("  Completed\n") >= TOTAL
    assert products.returncode == 0 and f"{TOTAL} product(s)" in products.stdout
    assert set(re.findall(r"\b(sql|iris|sqlalchemy)\b", products.stdout)) == ROUTES
    blocks = postgres.sql("SELECT DISTINCT instance FROM trace_id_block", database)
    assert blocks == "1"  # every session id came from the one instance's blocks


def test_a_restarted_instance_resumes_from_the_offsets_on_the_server(
    postgres: PostgresServer, local_on_pg: LocalProcess, tmp_path: Path
) -> None:
    database = database_of(local_on_pg.db_url)
    local_on_pg.start(60)
    produce = ("produce", "--bootstrap", local_on_pg.bootstrap, "--price", "1")
    assert kafka_demo(*produce, "--name", "before").returncode == 0
    wait_for(lambda: postgres.sql("SELECT count(*) FROM product", database) == "1")
    local_on_pg.kill()
    again = LocalProcess(local_on_pg.db_url, tmp_path / "again.log")
    again.broker_port, again.bootstrap = local_on_pg.broker_port, local_on_pg.bootstrap
    try:
        again.start(60)
        assert kafka_demo(*produce, "--name", "after").returncode == 0
        wait_for(lambda: postgres.sql("SELECT count(*) FROM product", database) == "2")
        assert again.stop() == 0
    finally:
        if again.process is not None and again.process.poll() is None:
            again.kill()
    names = postgres.sql("SELECT name FROM product ORDER BY id", database).splitlines()
    assert names == ["before", "after"]
    instances = postgres.sql("SELECT id FROM production_instance ORDER BY id", database)
    assert instances.splitlines() == ["1", "2"]


def fail_one(
    postgres: PostgresServer, db_url: str, name: str, offset: int, instance: int
) -> LocalRuntime:
    """A production of `instance`, started in this process, whose storage of `name` failed."""
    runtime = LocalRuntime(LocalConfig(db_url=db_url, instance=instance), poll=False)
    runtime.start()
    with storage_outage(postgres, database_of(db_url)):
        hand_over(runtime, json.dumps({"name": name, "price": 2}).encode(), offset)
    assert runtime.trace is not None
    runtime.trace.flush()
    return runtime


def register(db_url: str) -> InstanceRegistration:
    return InstanceRegistration.register(
        db_url, "local", secrets.token_urlsafe(8), port=None, broker=None
    )


def session_statuses(postgres: PostgresServer, database: str) -> list[str]:
    return postgres.sql(
        "SELECT t.status FROM message_trace t WHERE t.id = t.session_id"
        " AND t.source = 'Python.KafkaDemoBS' ORDER BY t.id",
        database,
    ).splitlines()


def test_a_plain_postgresql_url_gets_psycopg_3(postgres: PostgresServer, pg_url: str) -> None:
    """SQLAlchemy's driver for postgresql:// is psycopg2, which the extra does not install."""
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    postgres.sql(
        "CREATE TABLE product (id serial PRIMARY KEY, name varchar(255) NOT NULL,"
        " price numeric(10, 2) NOT NULL, source varchar(400) UNIQUE);"
        " INSERT INTO product (name, price) VALUES ('plain', 1.5)",
        database_of(pg_url),
    )

    listed = kafka_demo("products", "--db", plain)

    assert listed.returncode == 0, listed.stderr
    assert "plain" in listed.stdout and "1 product(s)" in listed.stdout


def test_replay_without_a_running_instance_resends_what_failed_once(
    postgres: PostgresServer, pg_url: str
) -> None:
    database = database_of(pg_url)
    gone = register(pg_url)
    fail_one(postgres, pg_url, "failed once", 0, gone.instance.id).stop()
    gone.release()

    first = kafka_demo("replay", "--db", pg_url)
    second = kafka_demo("replay", "--db", pg_url)

    assert first.returncode == 0, first.stderr
    assert "replayed 1 of 1 failed input(s)" in first.stdout
    assert second.stdout == "nothing to replay: no Kafka input ended in an error\n"
    assert postgres.sql("SELECT name FROM product", database) == "failed once"
    assert session_statuses(postgres, database) == ["Resent", "Completed"]


def test_a_replay_leaves_a_running_instances_failed_work_alone(
    postgres: PostgresServer, pg_url: str
) -> None:
    """Instance 1 failed to store one record, then died; instance 2 runs, and failed one too.
    The replay adopts and resends instance 1's; instance 2's stays its own."""
    database = database_of(pg_url)
    gone = register(pg_url)
    fail_one(postgres, pg_url, "the dead one's", 0, gone.instance.id).stop()
    gone.release()
    running = register(pg_url)
    runtime = fail_one(postgres, pg_url, "the running one's", 1, running.instance.id)
    try:
        replayed = kafka_demo("replay", "--db", pg_url)
        engine = create_engine(pg_url)
        try:
            left_to_the_running = failed_inputs(engine, running.instance.id)
        finally:
            engine.dispose()
    finally:
        runtime.stop()
        running.release()

    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 1 of 1 failed input(s)" in replayed.stdout
    assert postgres.sql("SELECT name FROM product", database) == "the dead one's"
    assert session_statuses(postgres, database) == ["Resent", "Error", "Completed"]
    assert len(left_to_the_running) == 1
    assert "the running one's" in left_to_the_running[0].body


def resend_form(local: LocalProcess, token: str, session: str) -> tuple[int, dict[str, object]]:
    body = urllib.parse.urlencode({"session": session, "token": token, "reply": "json"}).encode()
    request = urllib.request.Request(f"{local.url}/messages/resend", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_resend_refuses_a_running_instances_session_and_adopts_a_dead_ones(
    postgres: PostgresServer, local_on_pg: LocalProcess
) -> None:
    db_url, database = local_on_pg.db_url, database_of(local_on_pg.db_url)
    gone = register(db_url)
    fail_one(postgres, db_url, "the dead one's", 0, gone.instance.id).stop()
    gone.release()
    running = register(db_url)
    runtime = fail_one(postgres, db_url, "the running one's", 1, running.instance.id)
    sessions = postgres.sql(
        "SELECT id FROM message_trace WHERE id = session_id ORDER BY id", database
    ).splitlines()
    try:
        local_on_pg.start(60)
        token = postgres.sql(
            f"SELECT token FROM production_instance WHERE port = {local_on_pg.port}", database
        )
        adopted = resend_form(local_on_pg, token, sessions[0])
        refused = resend_form(local_on_pg, token, sessions[1])
        assert local_on_pg.stop() == 0
    finally:
        runtime.stop()
        running.release()

    assert refused[0] == 409
    assert f"belongs to the running kafka-demo local (instance {running.instance.id}" in str(
        refused[1]["error"]
    )
    assert adopted[0] == 200 and adopted[1]["error"] is None, adopted
    assert postgres.sql("SELECT name FROM product", database) == "the dead one's"


def test_two_productions_setting_a_new_global_node_at_once_both_succeed_and_the_last_wins(
    pg_url: str,
) -> None:
    """The first write of ^KafkaDemo.Offset(log, partition) by two instances at once (a
    partition moving in a rebalance): one's insert fails on the key, then it updates."""
    other, ours = create_engine(pg_url), create_engine(pg_url)
    SqlGlobals(other).write("^KafkaDemo.Offset", ("seed",), 0)
    raced = []

    def insert_first_from_the_other(connection, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO iris_global") and not raced:
            raced.append(True)
            SqlGlobals(other).write("^KafkaDemo.Offset", ("log", 0), 5)

    event.listen(ours, "before_cursor_execute", insert_first_from_the_other)
    try:
        SqlGlobals(ours).write("^KafkaDemo.Offset", ("log", 0), 7)
        value = SqlGlobals(other).read("^KafkaDemo.Offset", ("log", 0))
    finally:
        other.dispose()
        ours.dispose()
    assert raced == [True]
    assert value == 7


def test_replay_goes_through_the_running_instance_which_adopts_a_dead_ones_work(
    postgres: PostgresServer, local_on_pg: LocalProcess
) -> None:
    db_url, database = local_on_pg.db_url, database_of(local_on_pg.db_url)
    gone = register(db_url)
    fail_one(postgres, db_url, "the dead one's", 0, gone.instance.id).stop()
    gone.release()
    local_on_pg.start(60)

    replayed = kafka_demo("replay", "--db", db_url)
    again = kafka_demo("replay", "--db", db_url)
    assert local_on_pg.stop() == 0

    assert replayed.returncode == 0, replayed.stderr
    assert "through the running kafka-demo local (instance 2" in replayed.stdout
    assert "replayed 1 of 1 failed input(s)" in replayed.stdout
    assert again.stdout.endswith("nothing to replay: no Kafka input ended in an error\n")
    assert postgres.sql("SELECT name FROM product", database) == "the dead one's"
    owners = postgres.sql("SELECT DISTINCT instance FROM trace_id_block", database)
    assert owners == "2"  # the dead instance's block is the running one's now


@pytest.mark.parametrize("command", ["products", "trace", "replay"])
def test_a_server_that_does_not_answer_is_one_line(command: str) -> None:
    unused = f"postgresql://demo:secret@127.0.0.1:{free_port()}/demo"

    refused = kafka_demo(command, "--db", unused, timeout=30)

    assert refused.returncode == 1
    assert refused.stderr.startswith(
        f"kafka-demo {command}: --db postgresql+psycopg://demo:***@127.0.0.1:"
    )
    assert "the database does not answer (connection failed:" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1, refused.stderr


def test_replay_leaves_an_instance_running_on_another_machine_to_that_machine(
    postgres: PostgresServer, pg_url: str
) -> None:
    database = database_of(pg_url)
    elsewhere = InstanceRegistration.register(
        pg_url, "local", secrets.token_urlsafe(8), port=free_port(), broker=None
    )
    try:
        fail_one(postgres, pg_url, "elsewhere's", 0, elsewhere.instance.id).stop()
        postgres.sql(
            f"UPDATE production_instance SET host = 'db-host-2' WHERE id = {elsewhere.instance.id}",
            database,
        )

        replayed = kafka_demo("replay", "--db", pg_url)
    finally:
        elsewhere.release()

    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == (
        f"kafka-demo local (instance {elsewhere.instance.id}, pid {elsewhere.instance.pid},"
        f" http://127.0.0.1:{elsewhere.instance.port}) runs on db-host-2:"
        " replay its inputs there\n"
        "nothing to replay: no Kafka input ended in an error\n"
    )
    assert session_statuses(postgres, database) == ["Error"]
