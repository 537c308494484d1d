"""The one IRIS seam for all tests, and a real Kafka-protocol broker.

`iris` (autouse) replaces IoP's `get_iris`, the seam through which IoP and the
project reach IRIS, with the stand-in from kafka_demo.local_mode; the stand-in
really holds messages, globals and the event log, and the fake `User.product`
records what was saved. The guard makes the `iris` wrapper itself fail the
test if anything reaches it by another path, since outside IRIS it would
answer with silent mocks.
"""

import itertools
from collections.abc import Iterator
from pathlib import Path

import iris as iris_wrapper
import pytest
from iop.runtime import iris as iop_iris
from iris_persistence import runtime as persistence

from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn, persistence_runtime
from tests.support.iris_fakes import ProductClass
from tests.support.postgres import PostgresServer, postgres_server

pytest_plugins = [
    "tests.support.doors"
]  # the REST doors' fixtures, for tests/kafka_demo/rest and tests/reliability

_WRAPPER_ENTRY_POINTS = ("cls", "gref", "sql", "system", "execute", "check_status")


@pytest.fixture(autouse=True)
def iris(monkeypatch: pytest.MonkeyPatch) -> IrisStandIn:
    standin = IrisStandIn(classes={"User.product": ProductClass()})
    monkeypatch.setattr(iop_iris, "get_iris", lambda namespace=None: standin)
    monkeypatch.setattr(persistence, "_active_runtime", persistence_runtime(standin))
    for name in _WRAPPER_ENTRY_POINTS:
        monkeypatch.setitem(iris_wrapper.__dict__, name, _wrapper_reached(name))
    return standin


def _wrapper_reached(name: str) -> object:
    def fail(*args: object, **kwargs: object) -> None:
        pytest.fail(f"iris.{name}{args} was called past the seam: it would be a mock outside IRIS")

    return fail


@pytest.fixture
def product_class(iris: IrisStandIn) -> ProductClass:
    return iris.cls("User.product")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A real Kafka-protocol broker (Tansu) on a free loopback port, for the whole session.

    tests/integration overrides it to run each test on Tansu and on Apache Kafka."""
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL 15 server on a free loopback port, for the whole session."""
    with postgres_server() as server:
        yield server


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A new, empty database on that server, for one test."""
    return postgres.new_database()


_topic_numbers = itertools.count(1)


@pytest.fixture
def topics(kafka_bootstrap: str) -> dict[str, str]:
    """A fresh product topic (2 partitions) and DLQ topic for one test."""
    number = next(_topic_numbers)
    names = {"topic": f"kafka_demo_{number}", "dlq_topic": f"kafka_demo_{number}.dlq"}
    create_topics(kafka_bootstrap, {names["topic"]: 2, names["dlq_topic"]: 1})
    return names


TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each folder under tests/ is a tier, and its tests carry its name as their marker
    (`pytest -m integration`, `-m "not reliability"`); pyproject.toml declares one per folder."""
    for item in items:
        item.add_marker(item.path.relative_to(TESTS).parts[0])
