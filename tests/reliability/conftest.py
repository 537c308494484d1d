"""Fixtures of the reliability suite: an external broker that outlives `kafka-demo local`."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kafka_demo import defaults
from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics
from tests.support.local_process import LocalProcess


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    """A Tansu broker of this test's own, with the topics `kafka-demo local` uses."""
    with EmbeddedBroker() as started:
        create_topics(started.bootstrap, {defaults.TOPIC: 2, defaults.DLQ_TOPIC: 1})
        yield started


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kafka_demo.db"


@pytest.fixture
def start_local(
    broker: EmbeddedBroker, db_path: Path, tmp_path: Path
) -> Iterator[Callable[[], LocalProcess]]:
    """Start `kafka-demo local` on the test's broker and database; killed at the end if alive."""
    started: list[LocalProcess] = []

    def start() -> LocalProcess:
        process = LocalProcess(
            f"sqlite:///{db_path}", tmp_path / f"local-{len(started)}.log", broker.bootstrap
        )
        started.append(process)
        process.start(timeout=60)
        return process

    yield start
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.kill()
