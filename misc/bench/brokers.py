"""The brokers the benchmark's Kafka figures are measured on: Tansu, which `kafka-demo local`
embeds, and Apache Kafka 4.1.1 on the JVM, what the compose stack and production users run.

Apache Kafka is the test suite's single KRaft broker (tests/support/apache_kafka.py, its
jars fetched once by Maven from misc/scripts/apache-kafka/pom.xml into a cache outside the
repository).
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kafka_demo.local_mode.broker.tansu import EmbeddedBroker

REPO = Path(__file__).resolve().parents[2]
TANSU, APACHE = "tansu", "apache"
NAMES = {TANSU: "Tansu", APACHE: "Apache Kafka"}
CHOICES = {TANSU: (TANSU,), APACHE: (APACHE,), "both": (TANSU, APACHE)}
"""--broker: the first broker named gets every figure, the second its Kafka figures."""


@contextmanager
def running(kind: str) -> Iterator[str]:
    """A broker of that kind, of this run's own, until the block ends: its bootstrap address."""
    if kind == TANSU:
        with EmbeddedBroker() as tansu:
            yield tansu.bootstrap
        return
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    from tests.support.apache_kafka import KafkaCluster

    with KafkaCluster(1) as cluster:
        yield cluster.bootstrap
