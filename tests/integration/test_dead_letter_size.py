"""Dead letters of any size the topic takes: the DLQ producer is sized from the broker's limits.

Apache Kafka reports a topic's `max.message.bytes` and a broker's `message.max.bytes`
through DescribeConfigs; Tansu, the local broker, reports no configs at all and took a
100 MB record when tried, so on Tansu the producer falls back to UNREPORTED_RECORD_LIMIT.
Each test runs on both brokers (tests/integration/conftest.py).
"""

from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import MessageSizeTooLargeError

from kafka_demo.bo import dead_letter_headers
from kafka_demo.defaults import KAFKA_DEMO_BO, KAFKA_DEMO_BS
from kafka_demo.kafka_io.clients import (
    RECORD_OVERHEAD_BYTES,
    UNREPORTED_RECORD_LIMIT,
    RecordLimits,
    fetch_record_limits,
    open_producer,
    read_record_limits,
    request_size_for,
)
from kafka_demo.msg import KafkaDeadLetterMessage
from tests.support.brokers import (
    APACHE_KAFKA,
    DLQ_MAX_MESSAGE_BYTES,
    TANSU,
    TOPIC_MAX_MESSAGE_BYTES,
    Broker,
)
from tests.support.kafka import poll_until, produce, read_topic
from tests.support.storage import stored_rows

MIB = 1024 * 1024


class KafkaLikeAdmin:
    """Answers DescribeConfigs as kafka-python does for an Apache Kafka broker."""

    def __init__(self, topics: dict[str, str], broker: str) -> None:
        self.topics = topics
        self.broker = broker
        self.filters: list[str] = []

    def describe_cluster(self) -> dict[str, Any]:
        return {"brokers": [{"broker_id": 1, "host": "kafka", "port": 9092}]}

    def describe_configs(self, resources: list[Any], config_filter: str) -> dict[str, Any]:
        self.filters.append(config_filter)
        topics = {
            r.name: {"max.message.bytes": {"value": self.topics[r.name], "read_only": False}}
            for r in resources
            if r.resource_type.name == "TOPIC"
        }
        return {
            "topic": topics,
            "broker": {"1": {"message.max.bytes": {"value": self.broker, "read_only": False}}},
        }


def test_the_limits_a_kafka_broker_reports_size_the_producer_headers_included() -> None:
    admin = KafkaLikeAdmin({"kafka_demo": "4194304", "kafka_demo.dlq": "8388608"}, "1048588")

    limits = read_record_limits(admin, ["kafka_demo", "kafka_demo.dlq"])

    assert limits == RecordLimits({"kafka_demo": 4 * MIB, "kafka_demo.dlq": 8 * MIB}, 1048588)
    assert admin.filters == ["all"]  # defaults included, not only the configs set by hand
    assert request_size_for(limits, ["kafka_demo", "kafka_demo.dlq"]) == (
        8 * MIB + RECORD_OVERHEAD_BYTES
    )
    assert RecordLimits({}, 1048588).of("other") == 1048588


def test_apache_kafka_reports_the_topics_limits_and_tansu_reports_none(
    broker: Broker, topics: dict[str, str]
) -> None:
    """A difference between the brokers: Apache Kafka answers DescribeConfigs with each
    topic's max.message.bytes (as create-topics.sh set them) and the broker's
    message.max.bytes; Tansu answers with no configs, so the fallback sizes the producer."""
    names = [topics["topic"], topics["dlq_topic"]]

    limits = fetch_record_limits(broker.bootstrap, names)

    if broker.kind == APACHE_KAFKA:
        assert limits == RecordLimits(
            {topics["topic"]: TOPIC_MAX_MESSAGE_BYTES, topics["dlq_topic"]: DLQ_MAX_MESSAGE_BYTES},
            1_048_588,  # message.max.bytes, Kafka's default
        )
        assert request_size_for(limits, names) == DLQ_MAX_MESSAGE_BYTES + RECORD_OVERHEAD_BYTES
    else:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        try:
            assert admin.describe_configs([], config_filter="all") == {}
        finally:
            admin.close()
        assert limits == RecordLimits()
        assert request_size_for(limits, names) == UNREPORTED_RECORD_LIMIT + RECORD_OVERHEAD_BYTES


def test_a_dead_letter_at_the_limit_is_sent_and_one_past_it_is_refused(
    broker: Broker, topics: dict[str, str]
) -> None:
    """At the limits the broker reports (Apache Kafka), or at limits given here where it
    reports none (Tansu, which would take anything)."""
    reported = fetch_record_limits(broker.bootstrap, [topics["topic"], topics["dlq_topic"]])
    if broker.kind == APACHE_KAFKA:
        limits, limit = reported, TOPIC_MAX_MESSAGE_BYTES
    else:
        limit = 2 * MIB
        limits = RecordLimits({topics["topic"]: limit, topics["dlq_topic"]: limit + 2 * MIB})
    producer = open_producer(
        kafka_broker=broker.bootstrap,
        max_request_size=request_size_for(limits, [topics["topic"]]),
    )
    letter = KafkaDeadLetterMessage(
        value=b"x" * limit,
        reason="payload is not valid JSON (Expecting value: line 1 column 1 (char 0))",
        topic=topics["topic"],
        partition=1,
        offset=123456789,
    )
    try:
        sent = producer.send(
            topics["dlq_topic"], letter.payload(), headers=dead_letter_headers(letter)
        ).get(timeout=30)
        with pytest.raises(MessageSizeTooLargeError):
            producer.send(topics["dlq_topic"], b"x" * (limit + RECORD_OVERHEAD_BYTES)).get(30)
    finally:
        producer.close()

    [stored] = read_topic(broker.bootstrap, topics["dlq_topic"], expected=1)
    assert (stored.offset, len(stored.value)) == (sent.offset, limit)


def largest_value_the_topic_takes(bootstrap: str, topic: str, limit: int) -> bytes:
    """The longest keyless value Apache Kafka appends to a topic whose max.message.bytes is
    `limit`: a batch of one uncompressed record has 72 bytes of framing at this size (61 of
    batch header, 11 of record). One byte more is refused by the broker itself."""
    value = b"x" * (limit - 72)
    producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=2 * limit)
    try:
        producer.send(topic, value).get(timeout=30)
        with pytest.raises(MessageSizeTooLargeError):
            producer.send(topic, value + b"x").get(timeout=30)
    finally:
        producer.close()
    return value


@pytest.mark.parametrize("broker", [APACHE_KAFKA], indirect=True)
def test_a_record_at_the_topics_max_message_bytes_reaches_the_dlq_whole(
    start_production: Any, broker: Broker, topics: dict[str, str], database: Path
) -> None:
    """Only Apache Kafka has a max.message.bytes to be at; on Tansu the next test sends
    records of several MiB."""
    production = start_production()
    value = largest_value_the_topic_takes(
        broker.bootstrap, topics["topic"], TOPIC_MAX_MESSAGE_BYTES
    )
    produce(broker.bootstrap, topics["topic"], [b'{"name": "after", "price": 2}'], [0])

    def dead_letter_sent() -> bool:
        return any(
            h.target == KAFKA_DEMO_BO and h.status == "Completed" for h in production.trace.hops
        )

    poll_until(production, lambda: dead_letter_sent() and bool(stored_rows(database)))

    [letter] = read_topic(broker.bootstrap, topics["dlq_topic"], expected=1)
    assert letter.value == value
    assert dict(letter.headers)["dlq.topic"].decode() == topics["topic"]
    bo_producer = production.component(KAFKA_DEMO_BO)._producer
    assert bo_producer.config["max_request_size"] == DLQ_MAX_MESSAGE_BYTES + RECORD_OVERHEAD_BYTES
    assert stored_rows(database) == [("after", "2.00")]


@pytest.mark.parametrize("broker", [TANSU], indirect=True)
def test_poison_records_larger_than_a_mebibyte_reach_the_dlq_whole(
    start_production: Any,
    production_settings: dict[str, dict[str, Any]],
    database: Path,
    kafka_bootstrap: str,
    topics: dict[str, str],
) -> None:
    # Apache Kafka refuses them at the topic's max.message.bytes (the test above).
    # Tansu takes about 0.3 s per MiB to acknowledge a record: one poll's work is seconds.
    production_settings[KAFKA_DEMO_BS]["max_poll_interval_ms"] = 6000
    production = start_production()
    poison = [b"x" * (MIB + MIB // 2), b"{" * (4 * MIB)]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=16 * MIB)
    for value in [*poison, b'{"name": "after", "price": 2}']:
        producer.send(topics["topic"], value)
    producer.flush()
    producer.close()

    def dead_letters_sent() -> int:
        hops = production.trace.hops
        return sum(h.target == KAFKA_DEMO_BO and h.status == "Completed" for h in hops)

    poll_until(production, lambda: dead_letters_sent() == 2 and bool(stored_rows(database)))

    letters = read_topic(kafka_bootstrap, topics["dlq_topic"], expected=2)
    assert sorted(len(letter.value) for letter in letters) == sorted(map(len, poison))
    assert sorted(letter.value for letter in letters) == sorted(poison)
    for letter in letters:
        assert dict(letter.headers)["dlq.topic"].decode() == topics["topic"]
    assert stored_rows(database) == [("after", "2.00")]
    assert not [h for h in production.trace.hops if h.status == "Error"]
