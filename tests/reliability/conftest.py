"""Fixtures of the reliability suite: an external broker that outlives `kafka-demo local`.

`broker` is Tansu unless a test module asks for both brokers with
`pytest.mark.parametrize("broker", BROKER_KINDS, indirect=True)`."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kafka_demo import defaults
from tests.support.brokers import TANSU, Broker, create_demo_topics, running_broker
from tests.support.local_process import LocalProcess


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """A broker of this test's own (Tansu, or the kind the test asks for), with the topics
    `kafka-demo local` uses, made as that broker's users make them."""
    with running_broker(getattr(request, "param", TANSU)) as started:
        create_demo_topics(started, defaults.TOPIC, defaults.DLQ_TOPIC)
        yield started


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kafka_demo.db"


@pytest.fixture
def start_local(
    broker: Broker, db_path: Path, tmp_path: Path
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
