"""The two brokers the Kafka tests run against: Tansu (embedded in the local mode) and Apache
Kafka 4.1.1 (what the compose stack and production users run).

A test that talks to Kafka takes `kafka_bootstrap` and runs once per broker; what differs
between them is asserted by name (`Broker.kind`) in the test that shows it.
"""

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from kafka_demo.local_mode.broker.tansu import EmbeddedBroker, create_topics
from tests.support.apache_kafka import (
    KafkaCluster,
    KafkaUnavailable,
    create_topics_with_script,
    fetch_jars,
    missing_tools,
)

TANSU = "tansu"
APACHE_KAFKA = "apache-kafka"
BROKER_KINDS = (TANSU, APACHE_KAFKA)

TOPIC_MAX_MESSAGE_BYTES = 1_048_588
"""misc/deploy/kafka/create-topics.sh's defaults, which tests/integration checks it really sets:
Kafka's default max.message.bytes on the topic, 64 KiB more on its dead-letter topic."""
DLQ_MAX_MESSAGE_BYTES = TOPIC_MAX_MESSAGE_BYTES + 65_536


@dataclass(frozen=True)
class Broker:
    kind: str
    bootstrap: str


def require_apache_kafka() -> None:
    """Skip, saying what is missing, where Java or Maven is not installed; under CI=true fail
    instead, since CI must run these tests."""
    reason = missing_tools()
    if reason is None:
        try:
            fetch_jars()
        except KafkaUnavailable as error:
            reason = str(error)
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: these tests must run)", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def running_broker(kind: str) -> Iterator[Broker]:
    """A broker of that kind of the caller's own, stopped when the block ends."""
    if kind == TANSU:
        with EmbeddedBroker() as tansu:
            yield Broker(TANSU, tansu.bootstrap)
        return
    require_apache_kafka()
    with KafkaCluster(1) as cluster:
        yield Broker(APACHE_KAFKA, cluster.bootstrap)


def create_demo_topics(broker: Broker, topic: str, dlq_topic: str) -> None:
    """The product topic (2 partitions) and its DLQ, made as each broker's users make them:
    misc/deploy/kafka/create-topics.sh on Apache Kafka, the local mode's own call on Tansu."""
    if broker.kind == TANSU:
        create_topics(broker.bootstrap, {topic: 2, dlq_topic: 1})
        return
    result = create_topics_with_script(
        broker.bootstrap, {"KAFKA_TOPIC": topic, "KAFKA_DLQ_TOPIC": dlq_topic}
    )
    assert result.returncode == 0, result.stderr[-2000:]


def create_topics_like_the_script(broker: Broker, topic: str, dlq_topic: str) -> None:
    """What create-topics.sh makes, through the admin client: a JVM start per test would add
    seconds to each. The session's first topics come from the script itself, and a test
    checks that both ways give the same configs."""
    if broker.kind == TANSU:
        create_topics(broker.bootstrap, {topic: 2, dlq_topic: 1})
        return
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(
                [
                    NewTopic(topic, 2, 1, topic_configs=_limit(TOPIC_MAX_MESSAGE_BYTES)),
                    NewTopic(dlq_topic, 1, 1, topic_configs=_limit(DLQ_MAX_MESSAGE_BYTES)),
                ]
            )
    finally:
        admin.close()


def _limit(max_message_bytes: int) -> dict[str, str]:
    return {"max.message.bytes": str(max_message_bytes)}
