"""`kafka-demo products`, `trace` and `replay` on a database: refuse a missing one, read a path,
fit 80 columns, newest first, start only what a replay needs."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kafka_demo.defaults import DLQ_TOPIC, IRIS_KAFKA_SERVICE, KAFKA_DEMO_BP, TOPIC
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.iris.iris_kafka_service import KafkaMessage
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from tests.support.local_process import KAFKA_DEMO, kafka_demo
from tests.support.local_runtime import hand_over, storage_outage


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Two stored records, then one whose storage failed (a long SQLite error), then one more."""
    path = tmp_path / "kafka_demo.db"
    runtime = LocalRuntime(LocalConfig(db_url=f"sqlite:///{path}"), poll=False)
    runtime.start()
    hand_over(runtime, b'{"name": "first", "price": 1}', 0)
    hand_over(runtime, b'{"name": "second", "price": 2}', 1)
    with storage_outage(path):
        hand_over(runtime, b'{"name": "failed once", "price": 3}', 2)
    hand_over(runtime, b'{"name": "last", "price": 4}', 3)
    runtime.stop()
    return path


@pytest.mark.parametrize("command", ["products", "trace", "replay"])
def test_a_missing_database_is_refused_and_not_created(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere" / "kafka_demo.db"
    for db in (str(missing), f"sqlite:///{missing}"):
        result = kafka_demo(command, "--db", db)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"kafka-demo {command}: no database at {missing}; run this where `kafka-demo local`"
            " ran, or pass its database with --db PATH"
        ]
        assert not missing.exists()


def test_the_default_database_is_looked_for_in_the_current_folder(tmp_path: Path) -> None:
    result = kafka_demo("products", cwd=tmp_path)
    assert result.returncode == 1
    assert f"no database at {tmp_path / 'kafka_demo.db'};" in result.stderr
    assert not (tmp_path / "kafka_demo.db").exists()


def test_products_reads_a_plain_path(database: Path) -> None:
    result = kafka_demo("products", "--db", str(database))
    assert result.returncode == 0, result.stderr
    names = [line.split()[2] for line in result.stdout.splitlines()[2:-1]]
    assert names == ["first", "second", "last"]
    assert result.stdout.splitlines()[-1] == "3 product(s)"


def test_products_last_prints_only_the_latest_ones_oldest_first(database: Path) -> None:
    result = kafka_demo("products", "--db", str(database), "--last", "2")
    assert result.returncode == 0, result.stderr
    names = [line.split()[2] for line in result.stdout.splitlines()[2:-1]]
    assert names == ["second", "last"]
    assert result.stdout.splitlines()[-1] == "2 product(s)"
    refused = kafka_demo("products", "--db", str(database), "--last", "0")
    assert refused.returncode == 2


def test_trace_is_newest_first_within_80_columns_with_the_error_on_one_line(
    database: Path,
) -> None:
    result = kafka_demo("trace", "--db", str(database))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "the last 4 session(s), newest first (as /messages lists them)"
    assert max(len(line) for line in lines) <= 80
    headers = [line for line in lines if line.startswith("session ")]
    # A session is known by its first message's id, as in IRIS: three messages per stored
    # record, two for the one whose storage failed.
    assert [int(h.split()[1]) for h in headers] == [9, 7, 4, 1]
    assert headers[1].endswith("  Error")
    errors = [line for line in lines if line.startswith("      error: ")]
    # The BP's hop and the BO's, each cut to its first line: the innermost failure.
    assert errors == ["      error: OperationalError - integer overflow"] * 2


@pytest.mark.parametrize("last", ["0", "-2", "two"])
def test_trace_refuses_a_last_that_is_not_a_positive_number(last: str, database: Path) -> None:
    result = kafka_demo("trace", "--db", str(database), f"--last={last}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"kafka-demo trace: error: argument --last: must be a whole number of at least 1,"
        f" not {last!r}"
    )


def test_trace_last_limits_the_sessions(database: Path) -> None:
    result = kafka_demo("trace", "--db", str(database), "--last", "1")
    headers = [line for line in result.stdout.splitlines() if line.startswith("session ")]
    assert [h.split()[1] for h in headers] == ["9"]


def test_trace_into_a_closed_pipe_ends_quietly(database: Path) -> None:
    """`kafka-demo trace | head -1`: the reader leaves before the output is written."""
    process = subprocess.Popen(
        [KAFKA_DEMO, "trace", "--db", str(database)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(60)
    assert "BrokenPipeError" not in stderr and "Traceback" not in stderr
    assert stderr == ""


def test_replay_with_nothing_to_replay_starts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "clean.db"
    runtime = LocalRuntime(LocalConfig(db_url=f"sqlite:///{path}"), poll=False)
    runtime.start()
    hand_over(runtime, b'{"name": "fine", "price": 1}', 0)
    runtime.stop()
    result = kafka_demo("replay", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "nothing to replay: no Kafka input ended in an error\n"
    assert result.stderr == ""


def test_replay_says_what_it_replayed_and_runs_no_service(database: Path) -> None:
    result = kafka_demo("replay", "--db", str(database))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    # The replay is a second writer: it takes the next block of 100 ids from the trace.
    assert lines[0] == "message 7 (session 7) resent to Python.KafkaDemoBP as session 101"
    assert lines[1] == "replayed 1 of 1 failed input(s)"
    assert result.stderr == ""  # no "started ..." and no "production stopped" line
    names = kafka_demo("products", "--db", str(database)).stdout
    assert "failed once" in names


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
