"""A stand-in for IRIS's EnsLib.Kafka.Service in the local mode: a second consumer of the topic.

It reads the topic as the item's adapter settings say (Servers, Topic, GroupID,
as settings.py declares them, pointed at the local broker), in the same group as
KafkaDemoBS, so the two share the topic's partitions as they do in IRIS. Each
record becomes an object shaped like EnsLib.Kafka.Message and is sent async to
each of the item's TargetConfigNames through the router, so the BP receives it
through IoP's dispatch (`on_iris_kafka_message`), as in IRIS.

The message (docs/iris-evidence.md#kafka-message; docs "Using External Messaging Platforms in
Productions", Kafka Message Class): `topic`, `value` a %String, `binaryValue` a
binary stream "when the length of the message exceeds the maximum length of a
%String", and `key`. Whether it carries the partition and offset is unknown, so it
carries neither: a record through this service is known by its topic, key and value, the
same source key KafkaDemoBS gives it (rules.kafka_source), and a record without a key has
no source key.

Delivery guarantee. The adapter documents that the service "forwards the message
… using asynchronous requests" (EnsLib.Kafka.Service), not when it commits
offsets. Unknown, so: at least once. The offsets of a poll's records are committed
after they were all handed over (the trace written first), so a crash in between
hands that poll's records over again: those with a key add no row, those without
one are stored twice.
"""

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from kafka_demo.kafka_io.clients import open_consumer
from kafka_demo.local_mode.iris.iris_standin import GlobalStream, IrisObject
from kafka_demo.rules import iris_length

SERVICE_CLASS = "EnsLib.Kafka.Service"
IRIS_CLASS = "EnsLib.Kafka.Message"
STRING_MAX_LENGTH = 3_641_144
"""The longest %String, in 16-bit characters (docs "General System Limits", GORIENT_appx_limits)."""
KEY_MAX_LENGTH = 1000
"""EnsLib.Kafka.Message's `key` is a %String(MAXLEN = 1000) (class reference of
%External.Messaging.KafkaMessage; docs/iris-evidence.md#kafka-key-length)."""
_log = logging.getLogger(__name__)


class BinaryStream(GlobalStream):
    """%Stream.GlobalBinary, read as EnsLib.Kafka.Message's binaryValue is read."""

    iris_classname = "%Stream.GlobalBinary"

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(data)
        self.data = data

    def _as_text(self, chunk: Any) -> str:
        """A binary stream's characters are its bytes (0-255), as IRIS strings hold them."""
        return chunk.decode("latin-1")


class KeyTooLong(ValueError):
    """The record's key does not fit EnsLib.Kafka.Message's `key`: the message cannot be saved."""


class KafkaMessage(IrisObject):
    """EnsLib.Kafka.Message: the properties IRIS documents, and nothing more."""

    iris_classname = IRIS_CLASS
    # GUESS: its superclasses; a request body of the production, persisted like any other.
    iris_superclasses = ("Ens.Request", "Ens.MessageBody", "%Persistent")

    def __init__(self, topic: str, value: str, key: str, binary_value: bytes = b"") -> None:
        self.topic = topic
        self.value = value
        self.key = key
        self.binaryValue = BinaryStream(binary_value)

    @classmethod
    def from_record(cls, record: ConsumerRecord) -> "KafkaMessage":
        """`value` when the bytes are text a %String holds; otherwise they go to `binaryValue`."""
        raw = record.value or b""
        key = (record.key or b"").decode("utf-8", errors="replace")  # GUESS: how IRIS decodes it
        if iris_length(key) > KEY_MAX_LENGTH:
            # GUESS: IRIS validates the property when the service saves the request, as any
            # %Persistent save does; the texts are IRIS's #7201 and #5802.
            raise KeyTooLong(
                f"ERROR #7201: Datatype value '{key[:40]}...' length longer than MAXLEN allowed"
                f" of {KEY_MAX_LENGTH} > ERROR #5802: Datatype validation failed on property"
                f" '{IRIS_CLASS}:key'"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # GUESS: bytes that are not UTF-8 text in binaryValue, whole; IRIS's Java adapter
            # may instead decode them with replacement characters.
            return cls(record.topic, "", key, raw)
        if iris_length(text) > STRING_MAX_LENGTH:
            return cls(record.topic, "", key, raw)
        return cls(record.topic, text, key)

    def json_text(self) -> str:
        """The body as the trace keeps it (the Message Viewer shows the properties)."""
        return json.dumps(
            {
                "topic": self.topic,
                "key": self.key,
                "value": self.value,
                "binaryValue": base64.b64encode(self.binaryValue.data).decode("ascii"),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json_text(cls, text: str) -> "KafkaMessage":
        """The message again from its traced body, to resend it."""
        body = json.loads(text)
        binary = base64.b64decode(body.get("binaryValue", ""))
        return cls(body["topic"], body["value"], body.get("key", ""), binary)


GroupRole = Literal["leader", "follower", "joining"]


def group_role(consumer: KafkaConsumer) -> GroupRole:
    """The consumer's part in its group: the leader of the last assignment, a follower that
    holds partitions, or neither yet (joining). kafka-python tells leadership only in its
    coordinator's private state (read only here: the local mode's stop order, see
    runtime.stop_production, needs it for Tansu); without it, a consumer is taken for a follower."""
    if getattr(getattr(consumer, "_coordinator", None), "_is_leader", False):
        return "leader"
    return "follower" if consumer.assignment() else "joining"


class IrisKafkaService:
    """The item EnsLib.Kafka.Service: a consumer thread, and a sender thread for the async sends.

    In IRIS an async send only queues the request, so the service's poll loop never waits for
    the BP. Here a send runs the BP and the BO before it returns, so it runs on the sender
    thread while the consumer thread keeps the group's membership with polls of paused
    partitions: a slow store (a locked database) never gets this consumer taken for dead and
    its uncommitted records handed over again.
    """

    def __init__(
        self,
        production: Any,
        name: str,
        adapter_settings: Mapping[str, str],
        targets: Sequence[str],
        *,
        max_poll_interval_ms: int,
        max_poll_records: int,
        before_commit: Callable[[], None] = lambda: None,
    ) -> None:
        """`before_commit` runs before each Kafka commit (the local trace's flush)."""
        self.production = production
        self.name = name
        self.settings = dict(adapter_settings)
        self.targets = list(targets)
        self._max_poll_interval_ms = max_poll_interval_ms
        self._max_poll_records = max_poll_records
        self._before_commit = before_commit
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name} sender")
        self.handed_over = 0
        self.partitions: frozenset[int] = frozenset()
        """The topic's partitions the group gave this consumer at its last poll."""
        self._consumer: KafkaConsumer | None = None
        self._halted = threading.Event()
        self._leave = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._consume, name=self.name, daemon=True)
        self._thread.start()

    def halt(self) -> None:
        """Stop polling, so as to take part in no further rebalance, but stay in the group
        until stop()."""
        self._stopping.set()
        while self._thread is not None and self._thread.is_alive():
            if self._halted.wait(0.1):
                return

    def stop(self) -> None:
        self._stopping.set()
        self._leave.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sender.shutdown(wait=True)

    def group_role(self) -> GroupRole:
        consumer = self._consumer
        return "joining" if consumer is None else group_role(consumer)

    def _consume(self) -> None:
        self._consumer = consumer = open_consumer(
            kafka_broker=self.settings["Servers"],
            topic=self.settings["Topic"],
            group_id=self.settings["GroupID"],
            max_poll_interval_ms=self._max_poll_interval_ms,
            max_poll_records=self._max_poll_records,
        )
        try:
            while not self._stopping.is_set():
                try:
                    self._poll_once(consumer)
                except Exception as error:
                    _log.error("%s: %s", self.name, error)
                    self._stopping.wait(1.0)
        finally:
            self._halted.set()
            self._leave.wait()
            consumer.close()

    def _poll_once(self, consumer: KafkaConsumer) -> None:
        """Hand over what one poll returned, then write the trace and commit what was handed
        over. After a third of max_poll_interval_ms the rest is left to the next poll."""
        batch = consumer.poll(timeout_ms=200)
        self._note_assignment(consumer)
        deadline = time.monotonic() + self._max_poll_interval_ms / 3000
        handed_over: dict[TopicPartition, OffsetAndMetadata] = {}
        failures: list[str] = []
        for partition, records in batch.items():
            for record in records:
                if self._stopping.is_set() or time.monotonic() > deadline:
                    consumer.seek(partition, record.offset)
                    break
                try:
                    self._wait_in_group(consumer, self._sender.submit(self._hand_over, record))
                except Exception as error:
                    consumer.seek(partition, record.offset)
                    failures.append(f"{partition.partition}@{record.offset}: {error}")
                    break
                handed_over[partition] = OffsetAndMetadata(record.offset + 1, "", -1)
        if handed_over:
            self._write_trace(consumer)
            consumer.commit(handed_over)
        if failures:
            raise RuntimeError("not handed over, read again: " + "; ".join(failures))

    def _write_trace(self, consumer: KafkaConsumer) -> None:
        """The trace before the commit, so an Error that replay needs is never lost with a
        committed record; while it cannot be written (its database locked), wait in the group:
        reading the records again would store those without a key twice."""
        warned = False
        while True:
            try:
                self._wait_in_group(consumer, self._sender.submit(self._before_commit))
                return
            except Exception as error:
                if self._stopping.is_set():
                    raise
                if not warned:
                    _log.warning("%s: the commit waits for the trace: %s", self.name, error)
                    warned = True

    def _wait_in_group(self, consumer: KafkaConsumer, done: "Future[Any]") -> None:
        """Wait for the sender, polling paused partitions meanwhile to stay in the group."""
        paused = False
        while True:
            try:
                done.result(timeout=0.2)
                break
            except FutureTimeout:
                paused = True
                consumer.pause(*consumer.assignment())
                # A partition a rebalance just gave is not paused yet: its records are read again.
                for partition, records in consumer.poll(timeout_ms=200).items():
                    consumer.seek(partition, records[0].offset)
                    consumer.pause(partition)
        if paused:
            consumer.resume(*consumer.paused())

    def _note_assignment(self, consumer: KafkaConsumer) -> None:
        partitions = frozenset(tp.partition for tp in consumer.assignment())
        if partitions != self.partitions:
            self.partitions = partitions
            _log.info("%s reads partitions %s", self.name, sorted(partitions) or "none")

    def _hand_over(self, record: ConsumerRecord) -> None:
        """Send the record to every target, async, as EnsLib.Kafka.Service does. A record whose
        key EnsLib.Kafka.Message cannot hold reaches no target: one error names it, and the
        records after it go on (GUESS: the item logs the failed save and its adapter moves on;
        no source says whether IRIS reads such a record again)."""
        try:
            message = KafkaMessage.from_record(record)
        except KeyTooLong as error:
            _log.error(
                "%s: record %s@%s of %s not handed over, its key is too long: %s",
                self.name,
                record.partition,
                record.offset,
                record.topic,
                error,
            )
            return
        for target in self.targets:
            self.production.deliver(self.name, target, message, sync=False)
        self.handed_over += 1


def target_names(setting: str) -> list[str]:
    """TargetConfigNames: a comma-separated list of item names."""
    return [name.strip() for name in setting.split(",") if name.strip()]
