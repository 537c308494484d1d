"""Mistakes an operator makes get one line, checked before anything starts; a body over the limit
is refused whatever its framing; a dead letter from the IRIS adapter's door says what is known."""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kafka_demo.defaults import DLQ_TOPIC, IRIS_KAFKA_SERVICE, KAFKA_DEMO_BP, TOPIC
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics, free_port
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.iris.iris_kafka_service import KafkaMessage
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.rest.contract import MAX_BODY_BYTES
from tests.support.local_process import LocalProcess, kafka_demo, post_chunked


def one_line_refusal(*args: str) -> str:
    """Run a command that must be refused before it starts anything; its one line of stderr."""
    started = time.monotonic()
    result = kafka_demo(*args, timeout=30)
    assert time.monotonic() - started < 10
    assert result.returncode in (1, 2), result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


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


def test_an_unknown_kind_of_database_is_one_line() -> None:
    line = one_line_refusal("local", "--port", str(free_port()), "--db", "notaurl://x")
    assert line == (
        "kafka-demo local: --db notaurl://x: no kind of database called 'notaurl' is known;"
        " pass a path to an SQLite file, or a SQLAlchemy URL such as sqlite:///kafka_demo.db"
    )


@pytest.mark.parametrize("command", ["local", "products"])
def test_a_file_that_is_no_database_is_one_line(command: str, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("root:x:0:0:root:/root:/bin/bash\n" * 40)
    line = one_line_refusal(command, "--db", str(text))
    assert line == (
        f"kafka-demo {command}: --db {text}: {text} is not an SQLite database"
        " (file is not a database)"
    )
    assert not text.with_name("notes.txt.claim").exists()


def test_a_database_whose_driver_is_missing_is_one_line() -> None:
    line = one_line_refusal("products", "--db", "postgresql+psycopg2://demo:secret@db.invalid/demo")
    assert line.startswith(
        "kafka-demo products: --db postgresql+psycopg2://demo:***@db.invalid/demo: the driver for"
        " postgresql is not installed (No module named "
    )
    assert line.endswith("); install it, or use an SQLite file")


def test_a_database_in_a_missing_folder_is_refused_before_the_broker_starts(
    tmp_path: Path,
) -> None:
    broker_port = free_port()
    line = one_line_refusal(
        "local", "--port", str(free_port()), "--broker-port", str(broker_port),
        "--db", str(tmp_path / "nonexistent" / "dir" / "x.db"),
    )  # fmt: skip
    assert line == (
        f"kafka-demo local: --db {tmp_path / 'nonexistent' / 'dir' / 'x.db'}: there is no folder"
        f" {tmp_path / 'nonexistent' / 'dir'}; create it, or choose another database with --db PATH"
    )


def test_raw_with_a_name_or_price_is_refused() -> None:
    for extra in (["--name", "a"], ["--price", "1"]):
        silent = f"127.0.0.1:{free_port()}"
        result = kafka_demo("produce", "--raw", "x", *extra, "--bootstrap", silent)
        assert result.returncode == 2
        assert result.stderr.splitlines()[-1] == (
            "kafka-demo produce: error: --raw sends bytes as they are:"
            " give it without --name and --price"
        )
        assert result.stdout == ""


def test_kafka_demo_alone_prints_the_help() -> None:
    result = kafka_demo()
    assert result.returncode == 2
    assert result.stdout.startswith("usage: kafka-demo [-h] [--version] COMMAND ...")
    assert "\n    local " in result.stdout and "\n    replay " in result.stdout
    assert result.stderr == ""


def test_the_local_door_refuses_a_chunked_body_over_the_limit_and_a_bogus_filter_in_json(
    local: LocalProcess,
) -> None:
    local.start()
    head = b'{"name": "apple", "price": 1}'

    over = post_chunked(f"{local.url}/kafka", head + b" " * MAX_BODY_BYTES)
    under = post_chunked(f"{local.url}/kafka", head + b" " * 100)
    try:
        urllib.request.urlopen(f"{local.url}/messages?status=Bogus", timeout=10)
        raise AssertionError("a bogus status was accepted")
    except urllib.error.HTTPError as error:
        bogus = (error.code, error.headers["Content-Type"], json.loads(error.read()))

    assert over == (413, {"error": f"request body is larger than {MAX_BODY_BYTES} bytes"})
    assert under[0] == 200, under
    assert bogus == (
        400,
        "application/json",
        {
            "error": "unknown status 'Bogus'; one of Completed, Error, Rejected, Dead-lettered,"
            " Resent",
            "field": "status",
        },
    )
    products = kafka_demo("products", "--db", local.db_url).stdout
    assert "1 product(s)" in products


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as started:
        create_topics(started.bootstrap, {TOPIC: 2, DLQ_TOPIC: 1})
        yield started


def dead_letter_through_the_iris_adapter(broker: EmbeddedBroker, db: Path, key: str) -> str:
    """A poison record as EnsLib.Kafka.Service hands it over; then `kafka-demo dlq`'s output."""
    runtime = LocalRuntime(
        LocalConfig(db_url=f"sqlite:///{db}", bootstrap=broker.bootstrap), poll=False
    )
    production = runtime.start()
    try:
        message = KafkaMessage(TOPIC, '{"name": "x", "price": -3}', key)
        production.deliver(IRIS_KAFKA_SERVICE, KAFKA_DEMO_BP, message, sync=False)
    finally:
        runtime.stop()
    result = kafka_demo("dlq", "--bootstrap", broker.bootstrap)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_dlq_names_no_made_up_coordinate_for_the_iris_adapters_door(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    lines = dead_letter_through_the_iris_adapter(broker, tmp_path / "x.db", "key-7").splitlines()
    assert lines[2] == (
        "kafka_demo.dlq[0]@0  from kafka_demo (partition and offset not given by the IRIS"
        " adapter)  26 byte(s)"
    )
    assert "[-1]" not in "\n".join(lines)


def test_dlq_shows_the_key_of_a_record_refused_through_the_iris_adapters_door(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    lines = dead_letter_through_the_iris_adapter(broker, tmp_path / "x.db", "key-7").splitlines()
    assert "    key: key-7" in lines
