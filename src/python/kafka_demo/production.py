"""The production `Python.Production`, declared with IoP's Production graph.

Hosts, topics, the group and the connection string come from environment
variables read when the production is built (at `iop --migrate` time), with the
demo's values as defaults (both in kafka_demo.defaults); in the Management
Portal they are ordinary settings.
"""

from iop import Production

from kafka_demo.bo import KafkaDemoBO, LocalStorageBO
from kafka_demo.bp import KafkaDemoBP
from kafka_demo.bs import KafkaDemoBS, KafkaRestBS
from kafka_demo.defaults import (
    IRIS_KAFKA_SERVICE,
    KAFKA_DEMO_BO,
    KAFKA_DEMO_BP,
    KAFKA_DEMO_BS,
    KAFKA_REST_BS,
    LOCAL_STORAGE_BO,
    PRODUCTION_NAME,
    Environment,
)


def build_production(env: Environment | None = None) -> Production:
    """Every item of the production, with its settings and targets."""
    env = env or Environment.read()
    production = Production(PRODUCTION_NAME, testing_enabled=True)

    # Each item's IRIS class name is its item name (see kafka_demo.defaults).
    bp = production.process(KAFKA_DEMO_BP, KafkaDemoBP, class_name=KAFKA_DEMO_BP)
    storage_bo = production.operation(
        LOCAL_STORAGE_BO,
        LocalStorageBO,
        class_name=LOCAL_STORAGE_BO,
        settings={"connection_string": env.connection_string},
    )
    kafka_bo = production.operation(
        KAFKA_DEMO_BO,
        KafkaDemoBO,
        class_name=KAFKA_DEMO_BO,
        settings={
            "kafka_broker": env.kafka_broker,
            "topic": env.topic,
            "dlq_topic": env.dlq_topic,
        },
    )
    kafka_bs = production.service(
        KAFKA_DEMO_BS,
        KafkaDemoBS,
        class_name=KAFKA_DEMO_BS,
        settings={"kafka_broker": env.kafka_broker, "topic": env.topic, "group_id": env.group_id},
        # Ens.InboundAdapter calls on_poll every CallInterval seconds (its default is 5).
        adapter_settings={"CallInterval": 1},
    )
    rest_bs = production.service(
        KAFKA_REST_BS,
        KafkaRestBS,
        class_name=KAFKA_REST_BS,
        # No adapter: the Flask apps create it on demand through the Director.
        pool_size=0,
    )
    iris_kafka = production.service(
        IRIS_KAFKA_SERVICE,
        class_name=IRIS_KAFKA_SERVICE,
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
