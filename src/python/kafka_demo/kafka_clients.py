"""Kafka clients built from component settings (kafka-python), and those settings' checks."""

import math
from collections.abc import Sequence

from kafka import KafkaConsumer, KafkaProducer


def bootstrap_servers(setting: str | Sequence[str]) -> list[str]:
    """`kafka_broker`: a comma-separated list of host:port, as IRIS hands settings over
    (strings), or a list of them, as the original demo's tests set it."""
    parts = setting.split(",") if isinstance(setting, str) else [str(part) for part in setting]
    servers = [server.strip() for server in parts if server.strip()]
    if not servers:
        raise ValueError(f"kafka_broker must name at least one host:port, not {setting!r}")
    return servers


def seconds_setting(name: str, value: object) -> float:
    """A setting in seconds: a finite number, 0 or more."""
    try:
        seconds = float(str(value))
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {value!r}") from None
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"{name} must be a finite number of seconds, 0 or more, not {value!r}")
    return seconds


def count_setting(name: str, value: object) -> int:
    """A setting that counts something: a whole number, 1 or more."""
    try:
        count = int(str(value))
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if count < 1:
        raise ValueError(f"{name} must be 1 or more, not {value!r}")
    return count


def open_consumer(
    *,
    kafka_broker: str | Sequence[str],
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


def open_producer(*, kafka_broker: str | Sequence[str]) -> KafkaProducer:
    """A producer that waits for all in-sync replicas, so a sent record is a kept record."""
    return KafkaProducer(bootstrap_servers=bootstrap_servers(kafka_broker), acks="all")
