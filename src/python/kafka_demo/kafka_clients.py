"""Kafka clients built from component settings (kafka-python), and those settings' checks."""

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

UNREPORTED_RECORD_LIMIT = 100 * 1024 * 1024
"""The record size assumed where the broker reports no limit (Tansu reports no configs, and
took a 100 MB record when tried): the producer must not refuse what the broker would take."""
RECORD_OVERHEAD_BYTES = 64 * 1024
"""Room beyond a record's value for its batch framing and the dead-letter headers."""

_log = logging.getLogger(__name__)


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
        session_timeout_ms=session_timeout_ms(max_poll_interval_ms),
        heartbeat_interval_ms=max(100, min(3_000, max_poll_interval_ms // 3)),
    )


MIN_SESSION_TIMEOUT_MS = 6_000
"""Apache Kafka's default `group.min.session.timeout.ms` (Broker Configs): a consumer asking
for less is refused with InvalidSessionTimeoutError and never joins its group."""


def session_timeout_ms(max_poll_interval_ms: int) -> int:
    """How long the group waits for a silent consumer's heartbeat: as long as a poll may take,
    within 6 to 10 s, the range a broker with default settings accepts (Tansu checks none)."""
    return max(MIN_SESSION_TIMEOUT_MS, min(10_000, max_poll_interval_ms))


TANSU_CLUSTER_ID = "tansu_cluster"
"""The cluster id Tansu answers DescribeCluster with, the same on every instance."""


def broker_is_tansu(kafka_broker: str | Sequence[str]) -> bool:
    """Whether the cluster is Tansu (its constant cluster id); True if it cannot be asked, so
    that the workarounds for Tansu, harmless elsewhere, are kept when in doubt."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(kafka_broker))
    except KafkaError:
        return True
    try:
        return admin.describe_cluster().get("cluster_id") == TANSU_CLUSTER_ID
    except KafkaError:
        return True
    finally:
        admin.close()


GroupRole = Literal["leader", "follower", "joining"]


def group_role(consumer: KafkaConsumer) -> GroupRole:
    """The consumer's part in its group: the leader of the last assignment, a follower that
    holds partitions, or neither yet (joining). kafka-python tells leadership only in its
    coordinator's private state; without it, a consumer is taken for a follower."""
    if getattr(getattr(consumer, "_coordinator", None), "_is_leader", False):
        return "leader"
    return "follower" if consumer.assignment() else "joining"


def open_producer(
    *, kafka_broker: str | Sequence[str], max_request_size: int = 1_048_576
) -> KafkaProducer:
    """A producer that waits for all in-sync replicas, so a sent record is a kept record.

    `max_request_size` caps a record on the client side (kafka-python's default, 1 MiB,
    is the value above)."""
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers(kafka_broker),
        acks="all",
        # A retry after a lost acknowledgement is not written twice (kafka-python's default,
        # said here since the settings for a cluster in docs/kafka.md rely on it).
        enable_idempotence=True,
        max_request_size=max_request_size,
    )


@dataclass(frozen=True)
class RecordLimits:
    """The largest record, in bytes, the broker takes: per topic and broker-wide.

    Apache Kafka's topic config `max.message.bytes` is "the largest record batch size
    allowed by Kafka", and defaults to the broker's `message.max.bytes` (Kafka
    documentation, Topic-Level Configs and Broker Configs)."""

    by_topic: dict[str, int] = field(default_factory=dict)
    broker: int | None = None

    def of(self, topic: str) -> int | None:
        return self.by_topic.get(topic, self.broker)


def read_record_limits(admin: Any, topics: Sequence[str]) -> RecordLimits:
    """The topics' and brokers' limits, from the admin client's describe_configs; empty
    where the broker does not report them (Tansu answers with no configs at all)."""
    brokers = [str(broker["broker_id"]) for broker in admin.describe_cluster()["brokers"]]
    resources = [ConfigResource(ConfigResourceType.TOPIC, topic) for topic in topics]
    resources += [ConfigResource(ConfigResourceType.BROKER, broker) for broker in brokers]
    # "all", since by default kafka-python returns only the configs set away from the default.
    found = admin.describe_configs(resources, config_filter="all")
    by_topic = {
        topic: limit
        for topic, configs in found.get("topic", {}).items()
        if (limit := _config_int(configs, "max.message.bytes")) is not None
    }
    broker_limits = [
        limit
        for configs in found.get("broker", {}).values()
        if (limit := _config_int(configs, "message.max.bytes")) is not None
    ]
    return RecordLimits(by_topic, min(broker_limits) if broker_limits else None)


def _config_int(configs: dict[str, Any], name: str) -> int | None:
    entry = configs.get(name)
    value = entry.get("value") if isinstance(entry, dict) else entry
    try:
        return int(str(value))
    except ValueError:
        return None


def fetch_record_limits(kafka_broker: str | Sequence[str], topics: Sequence[str]) -> RecordLimits:
    """read_record_limits on a short-lived admin client; no limits if the broker cannot say."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(kafka_broker))
    except KafkaError as error:
        _log.warning("could not read the topics' record size limits: %s", error)
        return RecordLimits()
    try:
        return read_record_limits(admin, topics)
    except KafkaError as error:
        _log.warning("could not read the topics' record size limits: %s", error)
        return RecordLimits()
    finally:
        admin.close()


def request_size_for(limits: RecordLimits, topics: Sequence[str]) -> int:
    """A producer's max_request_size that takes the largest record any of `topics` may
    hold, with its headers: the biggest record a consumer of them can read can be sent on."""
    known = [limit for topic in topics if (limit := limits.of(topic)) is not None]
    return (max(known) if known else UNREPORTED_RECORD_LIMIT) + RECORD_OVERHEAD_BYTES
