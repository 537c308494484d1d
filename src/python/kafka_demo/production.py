"""The production `Python.Production`, declared with IoP's Production graph.

Hosts, topics, the group and the connection string come from environment
variables read when the production is built (at `iop --migrate` time), with the
demo's values as defaults; in the Management Portal they are ordinary settings.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from iop import Production

from kafka_demo.bo import KafkaDemoBO, LocalStorageBO
from kafka_demo.bp import KafkaDemoBP
from kafka_demo.bs import KafkaDemoBS, KafkaRestBS

PRODUCTION_NAME = "Python.Production"


@dataclass(frozen=True)
class Environment:
    kafka_broker: str = "kafka:9092"
    topic: str = "kafka_demo"
    dlq_topic: str = "kafka_demo.dlq"
    group_id: str = "demo-group"
    connection_string: str = "iris+emb:///IRISAPP"

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> "Environment":
        defaults = cls()
        return cls(
            kafka_broker=environ.get("KAFKA_BOOTSTRAP_SERVERS", defaults.kafka_broker),
            topic=environ.get("KAFKA_TOPIC", defaults.topic),
            dlq_topic=environ.get("KAFKA_DLQ_TOPIC", defaults.dlq_topic),
            group_id=environ.get("KAFKA_GROUP_ID", defaults.group_id),
            connection_string=environ.get("STORAGE_CONNECTION_STRING", defaults.connection_string),
        )


def build_production(env: Environment | None = None) -> Production:
    """Every item of the production, with its settings and targets."""
    env = env or Environment.read()
    production = Production(PRODUCTION_NAME, testing_enabled=True)

    # The IRIS class names keep the original demo's (Python.<Class>), so existing
    # Portal bookmarks and `iop --test` commands still name the same classes.
    bp = production.process("Python.KafkaDemoBP", KafkaDemoBP, class_name="Python.KafkaDemoBP")
    storage_bo = production.operation(
        "Python.LocalStorageBO",
        LocalStorageBO,
        class_name="Python.LocalStorageBO",
        settings={"connection_string": env.connection_string},
    )
    kafka_bo = production.operation(
        "Python.KafkaDemoBO",
        KafkaDemoBO,
        class_name="Python.KafkaDemoBO",
        settings={
            "kafka_broker": env.kafka_broker,
            "topic": env.topic,
            "dlq_topic": env.dlq_topic,
        },
    )
    kafka_bs = production.service(
        "Python.KafkaDemoBS",
        KafkaDemoBS,
        class_name="Python.KafkaDemoBS",
        settings={"kafka_broker": env.kafka_broker, "topic": env.topic, "group_id": env.group_id},
        # Ens.InboundAdapter calls on_poll every CallInterval seconds (its default is 5).
        adapter_settings={"CallInterval": 1},
    )
    rest_bs = production.service(
        "Python.KafkaRestBS",
        KafkaRestBS,
        class_name="Python.KafkaRestBS",
        # No adapter: the Flask apps create it on demand through the Director.
        pool_size=0,
    )
    iris_kafka = production.service(
        "EnsLib.Kafka.Service",
        class_name="EnsLib.Kafka.Service",
        adapter_settings={
            "Servers": env.kafka_broker,
            "Topic": env.topic,
            "GroupID": env.group_id,
        },
    )

    bp.connect(KafkaDemoBP.Storage, storage_bo)
    bp.connect(KafkaDemoBP.DeadLetter, kafka_bo)
    kafka_bs.connect(KafkaDemoBS.Output, bp)
    rest_bs.connect(KafkaRestBS.Output, bp)
    production.connect(iris_kafka.target_setting("TargetConfigNames"), bp)
    return production
