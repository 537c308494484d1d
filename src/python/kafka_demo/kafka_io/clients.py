"""Kafka clients built from component settings (kafka-python), and those settings' checks."""

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

UNREPORTED_RECORD_LIMIT = 100 * 1024 * 1024
"""The record size assumed where the broker reports no limit (Tansu reports no configs, and
took a 100 MB record when tried): the producer must not refuse what the broker would take."""
RECORD_OVERHEAD_BYTES = 64 * 1024
"""Room beyond a record's value for its batch framing and the dead-letter headers."""

_log = logging.getLogger(__name__)
_NO_TOPIC_ID = "00000000-0000-0000-0000-000000000000"


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


@dataclass(frozen=True)
class LogIdentity:
    """What names one life of a topic: the cluster's id and the topic's id, where the broker
    gives them (empty otherwise).

    Read with the admin client: DescribeCluster answers the cluster id (KIP-700), and a
    Metadata response of version 10 or more each topic's id (KIP-516, "Topic Identifiers";
    Kafka protocol guide, apache.org, Metadata API). A topic deleted and created again gets a
    new id, as does every topic of a new Tansu instance (its cluster id is always
    "tansu_cluster"), so the id tells records at the same offsets apart."""

    cluster_id: str = ""
    topic_id: str = ""


def read_log_identity(admin: Any, topic: str) -> LogIdentity:
    """The topic's LogIdentity from kafka-python's admin client."""
    try:
        cluster_id = admin.describe_cluster().get("cluster_id") or ""
    except KafkaError:  # a broker older than DescribeCluster (Kafka 2.8) may still give topic ids
        cluster_id = ""
    described = [found for found in admin.describe_topics([topic]) if found.get("name") == topic]
    if not described or described[0].get("error_code"):
        return LogIdentity(str(cluster_id))
    return LogIdentity(str(cluster_id), str(described[0].get("topic_id") or ""))


def fetch_log_identity(kafka_broker: str | Sequence[str], topic: str) -> LogIdentity:
    """read_log_identity on a short-lived admin client; empty if the broker cannot say.

    Never raises: it runs between a poll and the hand-off of the poll's records, which must
    not be left behind, and an empty identity only costs the records their place keys."""
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers(kafka_broker))
    except Exception as error:
        _log.warning("could not read the identity of topic %s: %s", topic, error)
        return LogIdentity()
    try:
        return read_log_identity(admin, topic)
    except Exception as error:
        _log.warning("could not read the identity of topic %s: %s", topic, error)
        return LogIdentity()
    finally:
        admin.close()


def metadata_topic_id(consumer: KafkaConsumer, topic: str) -> str:
    """The topic id in the consumer's own metadata, refreshed as it fetches; empty if unknown
    (or the all-zero id of a broker without topic ids). kafka-python keeps it in its cluster
    metadata, which it does not make public."""
    topic_id = getattr(getattr(consumer, "_cluster", None), "topic_id", None)
    found = topic_id(topic) if callable(topic_id) else None
    return "" if found is None or str(found) == _NO_TOPIC_ID else str(found)


class LogIdentities:
    """Each topic's LogIdentity, read once, and again when the consumer's metadata names
    another topic id (the topic was created again) or, while unknown, every retry_s.

    The topic id the consumer has seen wins over the one read: it is the id of the log the
    consumer fetches from, while the broker the admin client asks may not know the topic
    created again yet (no id, right after the creation) or, in a cluster, still name the
    old one, whose offsets in the store would skip the new topic's records."""

    def __init__(
        self,
        read: Callable[[str], LogIdentity],
        retry_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._retry_s = retry_s
        self._clock = clock
        self._known: dict[str, tuple[LogIdentity, float]] = {}

    def of(self, topic: str, seen_topic_id: str = "") -> LogIdentity:
        kept = self._known.get(topic)
        if kept is not None:
            identity, read_at = kept
            stale = bool(seen_topic_id) and seen_topic_id != identity.topic_id
            unknown = not identity.topic_id and self._clock() - read_at >= self._retry_s
            if not (stale or unknown):
                return identity
        identity = self._read(topic)
        if seen_topic_id and identity.topic_id != seen_topic_id:
            identity = LogIdentity(identity.cluster_id, seen_topic_id)
        if not identity.topic_id and kept is None:
            _log.warning(
                "the broker gives topic %s no id: its records without a Kafka key get no"
                " source key, and may be stored twice",
                topic,
            )
        self._known[topic] = (identity, self._clock())
        return identity
