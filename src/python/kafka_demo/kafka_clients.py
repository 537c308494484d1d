"""Kafka clients built from component settings (kafka-python)."""

from kafka import KafkaConsumer, KafkaProducer


def bootstrap_servers(setting: str) -> list[str]:
    """`kafka_broker` is a comma-separated list of host:port (IRIS settings are strings)."""
    servers = [server.strip() for server in setting.split(",") if server.strip()]
    if not servers:
        raise ValueError("kafka_broker must name at least one host:port")
    return servers


def open_consumer(
    *,
    kafka_broker: str,
    topic: str,
    group_id: str,
    max_poll_interval_ms: int,
    max_poll_records: int,
) -> KafkaConsumer:
    """A consumer that never commits by itself: offsets are committed after hand-off."""
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers(kafka_broker),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=max_poll_interval_ms,
        max_poll_records=max_poll_records,
        # The heartbeat must stay below both timeouts, whatever max_poll_interval_ms is.
        session_timeout_ms=min(10_000, max_poll_interval_ms),
        heartbeat_interval_ms=max(100, min(3_000, max_poll_interval_ms // 3)),
    )


def open_producer(*, kafka_broker: str) -> KafkaProducer:
    """A producer that waits for all in-sync replicas, so a sent record is a kept record."""
    return KafkaProducer(bootstrap_servers=bootstrap_servers(kafka_broker), acks="all")
