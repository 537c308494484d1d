"""A production wired by settings.py, on a real broker and a real SQLite file.

Every test here runs twice: on Tansu, the local mode's broker, and on Apache Kafka 4.1.1,
the compose stack's, whose topics misc/deploy/kafka/create-topics.sh makes.
"""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import settings
from kafka_demo.defaults import KAFKA_DEMO_BO, KAFKA_DEMO_BP, KAFKA_DEMO_BS, LOCAL_STORAGE_BO
from kafka_demo.local_mode.iris.router import LocalProduction
from tests.support.brokers import (
    BROKER_KINDS,
    Broker,
    create_demo_topics,
    create_topics_like_the_script,
    running_broker,
)

_groups = itertools.count(1)
_topic_numbers = itertools.count(1)


@pytest.fixture(scope="package", params=BROKER_KINDS)
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """One broker of each kind for this folder's tests; Apache Kafka gets the compose stack's
    topics from misc/deploy/kafka/create-topics.sh."""
    with running_broker(request.param) as started:
        create_demo_topics(started, "kafka_demo", "kafka_demo.dlq")
        yield started


@pytest.fixture(scope="package")
def kafka_bootstrap(broker: Broker) -> str:
    return broker.bootstrap


@pytest.fixture
def topics(broker: Broker) -> dict[str, str]:
    """A fresh product topic (2 partitions) and DLQ topic for one test."""
    number = next(_topic_numbers)
    names = {"topic": f"kafka_demo_{number}", "dlq_topic": f"kafka_demo_{number}.dlq"}
    create_topics_like_the_script(broker, names["topic"], names["dlq_topic"])
    return names


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "products.db"


@pytest.fixture
def production_settings(
    kafka_bootstrap: str, topics: dict[str, str], database: Path
) -> dict[str, dict[str, Any]]:
    """settings.py's items, pointed at this test's broker, topics, group and database."""
    kafka = {"kafka_broker": kafka_bootstrap, "topic": topics["topic"]}
    return {
        KAFKA_DEMO_BS: {
            **kafka,
            "group_id": f"demo-group-{next(_groups)}",
            "timeout": 0.2,
            # Tansu completes a group join only after about max_poll_interval_ms.
            "max_poll_interval_ms": 1500,
        },
        KAFKA_DEMO_BO: {**kafka, "dlq_topic": topics["dlq_topic"]},
        LOCAL_STORAGE_BO: {"connection_string": f"sqlite:///{database}"},
        # The IRIS ORM route writes to the recording fake, not to this file.
        KAFKA_DEMO_BP: {"storage_routes": "sql,sqlalchemy"},
    }


@pytest.fixture
def start_production(
    production_settings: dict[str, dict[str, Any]],
) -> Iterator[Callable[..., LocalProduction]]:
    started: list[LocalProduction] = []

    def start(skip: dict[str, str] | None = None) -> LocalProduction:
        production = LocalProduction(
            settings.PRODUCTIONS[0], settings=production_settings, skip=skip
        )
        production.start()
        started.append(production)
        return production

    yield start
    for production in started:
        production.stop()
