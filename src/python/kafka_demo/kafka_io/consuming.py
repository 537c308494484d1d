"""At-least-once hand-off of Kafka records to the production.

A poll's batch is handed over record by record, skipping what the offset store
says was handed over already (a redelivery after a crash). Then, once per batch
and before the Kafka commit, the offset store records each partition's next
offset: the per-record path pays for no bookkeeping. A crash before that write
makes the batch's records come again; storage is idempotent by their source
key (their Kafka key, or their log and offset), so they add no row (a poison
record is dead-lettered again, though).

In the local mode, the offset store's write also writes the trace of the
batch, in the same transaction: the stand-in's globals and trace are written
in order, as IRIS's journal logs message headers and global sets in one
"time-sequenced log of updates" ("Journaling Overview", Data Integrity
Guide). So the trace of a record is kept before its offset is committed, and a
crash loses only trace rows of records that come again.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from kafka_demo import rules
from kafka_demo.kafka_io.clients import LogIdentity
from kafka_demo.kafka_io.offsets import OffsetStore
from kafka_demo.msg import KafkaRawMessage, RecordOrigin


class HandOffFailed(RuntimeError):
    """Some records could not be handed over; they will be read again at the next poll."""


@dataclass
class PollResult:
    handed_over: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    polls: int = 1

    @property
    def received(self) -> int:
        """Records the poll(s) returned, handed over or skipped."""
        return self.handed_over + self.skipped


def drain(
    poll_once: Callable[[int], PollResult],
    *,
    timeout_ms: int,
    budget_seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> PollResult:
    """Poll again and again while records arrive, until a poll comes back empty or the
    budget is spent; `poll_once(timeout_ms)` polls once and hands its records over.

    The first poll waits up to `timeout_ms`, so an idle topic costs that one poll. A poll
    never waits past the budget, and no poll starts once it is spent; the batch a poll
    returned is always handed over, so the budget can be overrun by one batch's hand-off.
    """
    deadline = clock() + budget_seconds
    total = PollResult(polls=0)
    while True:
        wait_ms = max(0, min(timeout_ms, int((deadline - clock()) * 1000)))
        result = poll_once(wait_ms)
        total.polls += 1
        total.handed_over += result.handed_over
        total.skipped += result.skipped
        if not result.received or clock() >= deadline:
            return total


def raw_message(record: ConsumerRecord, identity: LogIdentity | None = None) -> KafkaRawMessage:
    """A Kafka record as the message the BP takes; a tombstone (no value) is empty bytes.

    Built straight from the record's coordinates: a RecordOrigin first would validate the six
    fields twice, on the path every record takes."""
    payload = KafkaRawMessage.payload_fields(record.value or b"")
    return KafkaRawMessage(**_record_coordinates(record, identity), **payload)


def record_origin(record: ConsumerRecord, identity: LogIdentity | None = None) -> RecordOrigin:
    """Where a record came from: its place in the topic, its key, and its log's identity."""
    return RecordOrigin(**_record_coordinates(record, identity))


def _record_coordinates(record: ConsumerRecord, identity: LogIdentity | None) -> dict[str, Any]:
    log = identity or LogIdentity()
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": key_text(record.key),
        "cluster_id": log.cluster_id,
        "topic_id": log.topic_id,
    }


def key_text(key: bytes | None) -> str:
    """A record's key as text; bytes that are not UTF-8 become replacement characters, which
    the rules take for no key (EnsLib.Kafka.Service may decode them otherwise)."""
    return (key or b"").decode("utf-8", errors="replace")


def poll_and_hand_over(
    consumer: KafkaConsumer,
    offsets: OffsetStore,
    hand_over: Callable[[KafkaRawMessage], None],
    timeout_ms: int,
    identity_of: Callable[[str], LogIdentity] = lambda topic: LogIdentity(),
) -> PollResult:
    """Poll once and hand every new record over; raise HandOffFailed after committing the rest.

    `identity_of(topic)` names the log the topic's records are read from. The offset store
    keeps offsets per log (rules.kafka_log_name), so those of a topic created again, or of a
    new broker, start afresh; without a topic id the store is neither read nor written, so no
    record is ever skipped for one of another log.
    """
    result = PollResult()
    batch = consumer.poll(timeout_ms=timeout_ms)
    handed: dict[TopicPartition, tuple[str, int, int]] = {}
    for partition, records in batch.items():
        identity = identity_of(partition.topic)
        log = rules.kafka_log_name(identity.cluster_id, partition.topic, identity.topic_id)
        span = _hand_over_partition(
            consumer, offsets, hand_over, partition, records, result, identity, log
        )
        if span is not None and log:
            handed[partition] = (log, *span)
    if handed:
        _record_offsets(consumer, offsets, handed, result)
    if batch:
        _commit(consumer, result)
    if result.failures:
        raise HandOffFailed("; ".join(result.failures))
    return result


def _commit(consumer: KafkaConsumer, result: PollResult) -> None:
    """Commit what was handed over; a failed commit joins the poll's failures, never hides them."""
    try:
        consumer.commit()
    except KafkaError as error:
        result.failures.append(f"commit failed (read again, then skipped): {error}")


def _hand_over_partition(
    consumer: KafkaConsumer,
    offsets: OffsetStore,
    hand_over: Callable[[KafkaRawMessage], None],
    partition: TopicPartition,
    records: list[ConsumerRecord],
    result: PollResult,
    identity: LogIdentity,
    log: str,
) -> tuple[int, int] | None:
    """Hand the partition's new records over, in order, up to the first that fails.

    Returns the offsets of the first and the last record handed over, or None.
    """
    next_offset = offsets.next_offset(log, partition.partition) if log else None
    first = last = None
    for record in records:
        if next_offset is not None and record.offset < next_offset:
            result.skipped += 1
            continue
        try:
            hand_over(raw_message(record, identity))
        except Exception as error:
            consumer.seek(partition, record.offset)
            result.failures.append(
                f"{partition.topic}[{partition.partition}]@{record.offset} not handed over: "
                f"{type(error).__name__}: {error}"
            )
            break
        result.handed_over += 1
        first = record.offset if first is None else first
        last = record.offset
    return None if first is None or last is None else (first, last)


def _record_offsets(
    consumer: KafkaConsumer,
    offsets: OffsetStore,
    handed: dict[TopicPartition, tuple[str, int, int]],
    result: PollResult,
) -> None:
    """One write per partition for the whole batch, before the Kafka commit.

    A partition whose write fails is read again from the batch's first record it
    handed over, so nothing is committed that its bookkeeping does not cover.
    """
    for partition, (log, first, last) in handed.items():
        try:
            offsets.handed_over(log, partition.partition, last)
        except Exception as error:
            consumer.seek(partition, first)
            result.failures.append(
                f"{partition.topic}[{partition.partition}]@{first}..{last} handed over, "
                f"but their offsets were not recorded (read again): "
                f"{type(error).__name__}: {error}"
            )
