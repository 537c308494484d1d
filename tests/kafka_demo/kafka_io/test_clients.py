"""kafka_io.clients: which log a topic's records come from; the session timeout."""

import uuid

import pytest
from kafka.errors import UnsupportedVersionError

from kafka_demo.kafka_io import clients as kafka_clients
from kafka_demo.kafka_io.clients import (
    MIN_SESSION_TIMEOUT_MS,
    LogIdentities,
    LogIdentity,
    fetch_log_identity,
    metadata_topic_id,
    read_log_identity,
    session_timeout_ms,
)

OLD = LogIdentity("tansu_cluster", "01a24107-d3a5-78a3-a2b1-308219185006")
NEW = LogIdentity("tansu_cluster", "01a2410e-5a64-7f91-9e64-ca4dea62ad5b")


class Broker:
    """Answers as the admin client does, from whichever identity the topic has now."""

    def __init__(self, identity: LogIdentity) -> None:
        self.identity = identity
        self.reads = 0

    def read(self, topic: str) -> LogIdentity:
        self.reads += 1
        return self.identity


def test_the_identity_is_read_once_while_the_consumer_sees_the_same_topic_id() -> None:
    broker = Broker(OLD)
    identities = LogIdentities(broker.read)
    assert [identities.of("t", seen) for seen in ("", OLD.topic_id, OLD.topic_id)] == [OLD] * 3
    assert broker.reads == 1


def test_a_topic_id_the_consumer_has_not_seen_before_makes_it_read_again() -> None:
    broker = Broker(OLD)
    identities = LogIdentities(broker.read)
    assert identities.of("t") == OLD
    broker.identity = NEW  # deleted and created again while the consumer ran
    assert identities.of("t", NEW.topic_id) == NEW
    assert broker.reads == 2


@pytest.mark.parametrize("answer", ["", OLD.topic_id], ids=["no id yet", "the old id"])
def test_the_topic_id_the_consumer_sees_wins_over_a_broker_that_lags_behind_it(
    answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Right after a topic is created again, the broker asked may not know it yet, or (in a
    cluster) still name the old topic: the records the consumer fetched are the new topic's."""
    broker = Broker(OLD)
    identities = LogIdentities(broker.read)
    assert identities.of("t", OLD.topic_id) == OLD
    broker.identity = LogIdentity(OLD.cluster_id, answer)
    assert identities.of("t", NEW.topic_id) == NEW
    assert identities.of("t", NEW.topic_id) == NEW
    assert broker.reads == 2
    assert caplog.records == []


def test_an_unknown_identity_is_said_once_and_read_again_only_after_the_retry_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    broker = Broker(LogIdentity("tansu_cluster", ""))
    identities = LogIdentities(broker.read, retry_s=30, clock=lambda: now[0])
    identities.of("t")
    now[0] = 29.0
    identities.of("t")
    assert broker.reads == 1
    now[0] = 30.0
    broker.identity = OLD
    assert identities.of("t") == OLD
    assert broker.reads == 2
    assert [record.getMessage() for record in caplog.records] == [
        "the broker gives topic t no id: its records without a Kafka key get no source key,"
        " and may be stored twice"
    ]


class Admin:
    def __init__(self, topics: list[dict[str, object]]) -> None:
        self._topics = topics

    def describe_cluster(self) -> dict[str, object]:
        return {"cluster_id": "5L6g3nShT-eMCtK--X86sw", "brokers": []}

    def describe_topics(self, names: list[str]) -> list[dict[str, object]]:
        return self._topics


def test_the_admin_clients_answers_give_the_identity_or_only_the_cluster() -> None:
    topic_id = "8f0e4c1a-9d2b-4b7e-a1c3-5e6f7a8b9c0d"
    found = Admin([{"name": "t", "error_code": 0, "topic_id": topic_id}])
    missing = Admin([{"name": "t", "error_code": 3, "topic_id": None}])
    assert read_log_identity(found, "t") == LogIdentity("5L6g3nShT-eMCtK--X86sw", topic_id)
    assert read_log_identity(missing, "t") == LogIdentity("5L6g3nShT-eMCtK--X86sw")


class Metadata:
    def __init__(self, ids: dict[str, uuid.UUID]) -> None:
        self._ids = ids

    def topic_id(self, topic: str) -> uuid.UUID | None:
        return self._ids.get(topic)


class Consumer:
    def __init__(self, ids: dict[str, uuid.UUID]) -> None:
        self._cluster = Metadata(ids)


def test_the_consumers_metadata_gives_the_topic_id_it_last_saw() -> None:
    consumer = Consumer({"t": uuid.UUID(OLD.topic_id), "old": uuid.UUID(int=0)})
    assert metadata_topic_id(consumer, "t") == OLD.topic_id
    assert metadata_topic_id(consumer, "old") == ""  # a broker without topic ids
    assert metadata_topic_id(consumer, "unknown") == ""
    assert metadata_topic_id(object(), "t") == ""  # a client that keeps no such metadata


class OldAdmin(Admin):
    def describe_cluster(self) -> dict[str, object]:
        raise UnsupportedVersionError("DescribeCluster")


def test_a_broker_without_describe_cluster_still_gives_its_topic_id() -> None:
    topic_id = "8f0e4c1a-9d2b-4b7e-a1c3-5e6f7a8b9c0d"
    admin = OldAdmin([{"name": "t", "error_code": 0, "topic_id": topic_id}])
    assert read_log_identity(admin, "t") == LogIdentity("", topic_id)


def test_any_failure_to_ask_gives_an_empty_identity_not_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It runs between a poll and the hand-off of its records, which must never be skipped."""
    closed = []

    class Failing:
        def __init__(self, **_: object) -> None:
            pass

        def describe_cluster(self) -> dict[str, object]:
            raise OSError("connection reset")

        def close(self) -> None:
            closed.append(True)

    monkeypatch.setattr(kafka_clients, "KafkaAdminClient", Failing)
    assert fetch_log_identity("127.0.0.1:9092", "t") == LogIdentity()
    assert closed == [True]


@pytest.mark.parametrize(
    ("max_poll_interval_ms", "expected"),
    [(1500, 6000), (3000, 6000), (8000, 8000), (300_000, 10_000)],
)
def test_the_session_timeout_follows_the_poll_interval_within_6_to_10_s(
    max_poll_interval_ms: int, expected: int
) -> None:
    assert session_timeout_ms(max_poll_interval_ms) == expected
    assert MIN_SESSION_TIMEOUT_MS == 6000  # Apache Kafka's group.min.session.timeout.ms
