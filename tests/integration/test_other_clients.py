"""Producers other than the project's own, on both brokers: librdkafka (confluent-kafka) and
kafka-python, each with every compression codec Kafka defines. The production (kafka-python
consumers) must decode each batch and store every record once.

Tried by hand against the embedded Tansu: Debian's kcat 1.7 (librdkafka 2.0.2) fails every
produce there (`ApiVersionRequest failed: Local: Read underflow`); the librdkafka of
confluent-kafka 2.16 works, as this test shows.
"""

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from tests.support.brokers import Broker
from tests.support.kafka import poll_until, produce
from tests.support.storage import stored_rows

CODECS = ("gzip", "snappy", "lz4", "zstd")
PER_CODEC = 5


def product(client: str, codec: str, index: int) -> bytes:
    return f'{{"name": "{client} {codec} {index}", "price": 1}}'.encode()


def produce_with_librdkafka(bootstrap: str, topic: str, codec: str, values: list[bytes]) -> None:
    failures: list[str] = []

    def delivered(error: Any, _: Any) -> None:
        if error is not None:
            failures.append(str(error))

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "compression.type": codec,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 20,  # several records per batch, so the batch is compressed as one
        }
    )
    for value in values:
        producer.produce(topic, value, on_delivery=delivered)
    assert producer.flush(30) == 0
    assert failures == []


@pytest.mark.parametrize("client", ["librdkafka", "kafka-python"])
def test_records_compressed_with_each_codec_are_stored_once(
    client: str, start_production: Any, broker: Broker, topics: dict[str, str], database: Path
) -> None:
    production = start_production()
    expected = []
    for codec in CODECS:
        values = [product(client, codec, index) for index in range(PER_CODEC)]
        if client == "librdkafka":
            produce_with_librdkafka(broker.bootstrap, topics["topic"], codec, values)
        else:
            produce(broker.bootstrap, topics["topic"], values, compression_type=codec, linger_ms=20)
        expected += [f"{client} {codec} {index}" for index in range(PER_CODEC)]

    poll_until(production, lambda: len(stored_rows(database)) >= len(expected))

    assert Counter(name for name, _ in stored_rows(database)) == Counter(dict.fromkeys(expected, 1))
    assert not [hop for hop in production.trace.hops if hop.status == "Error"]
