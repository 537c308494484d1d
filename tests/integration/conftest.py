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
from kafka_demo import storage
from kafka_demo.defaults import (
    IRIS_KAFKA_SERVICE,
    KAFKA_DEMO_BO,
    KAFKA_DEMO_BP,
    KAFKA_DEMO_BS,
    LOCAL_STORAGE_BO,
)
from kafka_demo.local_mode.config import rebalance_timeout_ms
from kafka_demo.local_mode.iris.iris_kafka_service import IrisKafkaService, target_names
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.local_mode.iris.persistent import PersistentClass
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.iris.runtime import stop_production
from kafka_demo.local_mode.trace.vocabulary import MemoryTrace
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE
from tests.support.brokers import (
    BROKER_KINDS,
    TANSU,
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


@pytest.fixture
def start_with_iris_adapter(
    production_settings: dict[str, dict[str, Any]],
    broker: Broker,
    kafka_bootstrap: str,
    topics: dict[str, str],
    iris: IrisStandIn,
    database: Path,
) -> Iterator[Callable[..., LocalProduction]]:
    """settings.py's production with the stand-ins of EnsLib.Kafka.Service and User.product, in
    KafkaDemoBS's group; all three storage routes write to the test's database."""
    engine = storage.open_engine(f"sqlite:///{database}")
    iris.add_class(IRIS_PRODUCT_CLASS, PersistentClass(engine, PRODUCT_TABLE, IRIS_PRODUCT_CLASS))
    bs_settings = production_settings["Python.KafkaDemoBS"]
    adapter = {
        "Servers": kafka_bootstrap,
        "Topic": topics["topic"],
        "GroupID": bs_settings["group_id"],
    }
    # As the local mode: Tansu holds each join for the whole rebalance timeout, and Apache
    # Kafka gives a member whose thread is slow to poll (a loaded machine) 10 s to join again.
    max_poll_interval_ms = rebalance_timeout_ms(broker.kind == TANSU)
    overrides = {
        **production_settings,
        # Both consumers' polls stay well within max_poll_interval_ms while they share the BP,
        # even on a loaded machine (a consumer taken for dead would hand records over again).
        "Python.KafkaDemoBS": {
            **bs_settings,
            "max_poll_records": 20,
            "max_poll_interval_ms": max_poll_interval_ms,
        },
        "Python.KafkaDemoBP": {},
    }
    started: list[LocalProduction] = []

    def iris_kafka_service(production: LocalProduction, ref: Any) -> IrisKafkaService:
        assert {**ref.adapter_settings, **adapter}.keys() == {"Servers", "Topic", "GroupID"}
        return IrisKafkaService(
            production,
            ref.name,
            adapter,
            target_names(ref.host_settings["TargetConfigNames"]),
            max_poll_interval_ms=max_poll_interval_ms,
            max_poll_records=20,
        )

    def start(skip: dict[str, str] | None = None) -> LocalProduction:
        production = LocalProduction(
            settings.PRODUCTIONS[0],
            settings=overrides,
            skip=skip,
            trace=MemoryTrace(),
            standins={"EnsLib.Kafka.Service": iris_kafka_service},
        )
        production.start()
        started.append(production)
        production.standins[IRIS_KAFKA_SERVICE].start()
        return production

    yield start
    for production in started:
        stop_production(production, production.standins)
    engine.dispose()
