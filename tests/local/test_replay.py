"""`kafka-demo replay`: a Kafka input whose storage failed is stored once the database is back."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.iris_kafka_service import KafkaMessage
from kafka_demo.local_mode.runtime import LocalRuntime
from tests.support.local_process import kafka_demo
from tests.support.local_runtime import hand_over, storage_outage


def hand_over_as_iris_adapter(runtime: LocalRuntime, value: bytes, offset: int) -> None:
    """What EnsLib.Kafka.Service does with a record: an async send of an EnsLib.Kafka.Message."""
    assert runtime.production is not None
    message = KafkaMessage("kafka_demo", value.decode(), "")
    runtime.production.deliver("EnsLib.Kafka.Service", "Python.KafkaDemoBP", message, sync=False)


@pytest.mark.parametrize("door", [hand_over, hand_over_as_iris_adapter])
def test_replay_stores_what_failed_once_and_only_once(
    tmp_path: Path, door: Callable[[LocalRuntime, bytes, int], None]
) -> None:
    database = tmp_path / "kafka_demo.db"
    db_url = f"sqlite:///{database}"
    runtime = LocalRuntime(LocalConfig(db_url=db_url), poll=False)
    runtime.start()
    door(runtime, b'{"name": "stored", "price": 1}', 0)
    with storage_outage(database):
        door(runtime, b'{"name": "failed once", "price": 2}', 1)
    runtime.stop()

    first = kafka_demo("replay", "--db", db_url)
    second = kafka_demo("replay", "--db", db_url)

    assert first.returncode == 0, first.stderr
    assert "resent to Python.KafkaDemoBP" in first.stdout
    assert second.returncode == 0
    assert second.stdout == "nothing to replay: no Kafka input ended in an error\n"
    with sqlite3.connect(database) as connection:
        names = [name for (name,) in connection.execute("SELECT name FROM product ORDER BY id")]
    assert names == ["stored", "failed once"]
