"""The production's item names and default settings, in one place.

Pure (standard library only): the production, the components, the REST
gateways, the local mode and the standalone image (which has no IoP) all read
them from here. The item names keep the original demo's (Python.<Class>), so
existing Portal bookmarks and `iop --test` commands still name the same items.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

PRODUCTION_NAME = "Python.Production"

KAFKA_DEMO_BS = "Python.KafkaDemoBS"
"""The kafka-python consumer service."""
KAFKA_REST_BS = "Python.KafkaRestBS"
"""The REST doors' service, created on demand through the Director."""
IRIS_KAFKA_SERVICE = "EnsLib.Kafka.Service"
"""IRIS's own Kafka consumer; an IRIS class, so it runs only in IRIS."""
KAFKA_DEMO_BP = "Python.KafkaDemoBP"
LOCAL_STORAGE_BO = "Python.LocalStorageBO"
"""Stores into IRIS's own database ("Local" is the original demo's word, see kafka_demo.bo)."""
KAFKA_DEMO_BO = "Python.KafkaDemoBO"

KAFKA_BROKER = "kafka:9092"
"""The broker as the containers of docker-compose.yml reach it."""
TOPIC = "kafka_demo"
DLQ_TOPIC = "kafka_demo.dlq"
GROUP_ID = "demo-group"
"""Shared by KafkaDemoBS and EnsLib.Kafka.Service, so each record goes to one of them."""
CONNECTION_STRING = "iris+emb:///IRISAPP"
"""SQLAlchemy URL of the IRISAPP namespace's database, from inside IRIS."""


@dataclass(frozen=True)
class Environment:
    """The settings the production is built with: environment variables, else the defaults."""

    kafka_broker: str = KAFKA_BROKER
    topic: str = TOPIC
    dlq_topic: str = DLQ_TOPIC
    group_id: str = GROUP_ID
    connection_string: str = CONNECTION_STRING

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> "Environment":
        return cls(
            kafka_broker=environ.get("KAFKA_BOOTSTRAP_SERVERS", KAFKA_BROKER),
            topic=environ.get("KAFKA_TOPIC", TOPIC),
            dlq_topic=environ.get("KAFKA_DLQ_TOPIC", DLQ_TOPIC),
            group_id=environ.get("KAFKA_GROUP_ID", GROUP_ID),
            connection_string=environ.get("STORAGE_CONNECTION_STRING", CONNECTION_STRING),
        )
