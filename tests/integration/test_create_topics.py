"""misc/deploy/kafka/create-topics.sh, which the compose stack's kafka-init runs, run here with
Apache Kafka's own kafka-topics against a real broker."""

from typing import Any

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from tests.support.apache_kafka import create_topics_with_script
from tests.support.brokers import (
    APACHE_KAFKA,
    DLQ_MAX_MESSAGE_BYTES,
    TOPIC_MAX_MESSAGE_BYTES,
    Broker,
)

pytestmark = [
    pytest.mark.parametrize("broker", [APACHE_KAFKA], indirect=True),
]


def described(bootstrap: str, topics: list[str]) -> dict[str, dict[str, Any]]:
    """Per topic: its partition count, replication factor and max.message.bytes."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        layout = {
            topic["name"]: {
                "partitions": len(topic["partitions"]),
                "replicas": {len(p["replica_nodes"]) for p in topic["partitions"]},
            }
            for topic in admin.describe_topics(topics)
        }
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in topics]
        configs = admin.describe_configs(resources, config_filter="all")["topic"]
    finally:
        admin.close()
    for name, entries in configs.items():
        layout[name]["max.message.bytes"] = int(entries["max.message.bytes"]["value"])
    return layout


def test_the_script_made_the_compose_stacks_topics(broker: Broker, topics: dict[str, str]) -> None:
    """The package's broker got kafka_demo and kafka_demo.dlq from the script, with its
    defaults; the per-test topics (made with the admin client) match them."""
    expected = {
        "kafka_demo": {
            "partitions": 2,
            "replicas": {1},
            "max.message.bytes": TOPIC_MAX_MESSAGE_BYTES,
        },
        "kafka_demo.dlq": {
            "partitions": 1,
            "replicas": {1},
            "max.message.bytes": DLQ_MAX_MESSAGE_BYTES,
        },
    }

    assert described(broker.bootstrap, list(expected)) == expected
    assert described(broker.bootstrap, [topics["topic"], topics["dlq_topic"]]) == {
        topics["topic"]: expected["kafka_demo"],
        topics["dlq_topic"]: expected["kafka_demo.dlq"],
    }


def test_run_again_it_keeps_existing_topics_and_widens_one_with_too_few_partitions(
    broker: Broker,
) -> None:
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        admin.create_topics([NewTopic("narrow", 1, 1)])
    finally:
        admin.close()
    environment = {"KAFKA_TOPIC": "narrow", "KAFKA_DLQ_TOPIC": "narrow.dlq"}

    first = create_topics_with_script(broker.bootstrap, environment)
    again = create_topics_with_script(broker.bootstrap, environment)

    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert "topics ready: narrow (2 partitions), narrow.dlq" in again.stdout
    layout = described(broker.bootstrap, ["narrow", "narrow.dlq"])
    assert layout["narrow"]["partitions"] == 2
    assert layout["narrow.dlq"] == {
        "partitions": 1,
        "replicas": {1},
        "max.message.bytes": DLQ_MAX_MESSAGE_BYTES,
    }
