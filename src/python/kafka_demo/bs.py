"""The services: the kafka-python consumer, and the entry point of the REST doors."""

from typing import Any

from iop import BusinessService, PollingBusinessService, setting, target
from kafka import KafkaConsumer

from kafka_demo import defaults
from kafka_demo.kafka_io.clients import (
    LogIdentities,
    LogIdentity,
    bootstrap_servers,
    count_setting,
    fetch_log_identity,
    metadata_topic_id,
    open_consumer,
    seconds_setting,
)
from kafka_demo.kafka_io.consuming import PollResult, drain, poll_and_hand_over
from kafka_demo.kafka_io.offsets import GlobalOffsetStore
from kafka_demo.msg import KafkaRawMessage, ProductRejected, ProductStored


class KafkaDemoBS(PollingBusinessService):
    """Consumes the product topic and hands each record to the BP, at least once.

    Offsets are committed only after their records were handed over; the offset
    store (^KafkaDemo.Offset) lets a restarted consumer skip what it already handed
    over. Each record carries its Kafka key and the identity of its log (the cluster
    id, from DescribeCluster, and the topic id, from the topic's Metadata, both read
    with kafka-python's admin client), from which the BP makes its source key.

    IRIS calls on_poll once per CallInterval: Ens.InboundAdapter's OnTask calls
    ProcessInput, then sets %WaitForNextCallInterval to 1, so the job waits for the
    CallInterval before calling again ("Life Cycle of a Business Service and Adapter",
    Runtime, in "Developing Productions"; docs.intersystems.com). So that a backlog
    drains at the pipeline's speed rather than one poll per CallInterval, on_poll keeps
    polling while records arrive, for at most poll_budget_seconds. The budget keeps the
    job responsive: it checks for a stop request only between OnTask calls, and an
    OnTask should return within about ten seconds ("Implementing the OnTask() Method",
    same book). An idle topic costs one poll of `timeout` seconds per call.
    """

    kafka_broker = setting(defaults.KAFKA_BROKER, description="Comma-separated bootstrap servers.")
    topic = setting(defaults.TOPIC, description="Topic to consume.")
    group_id = setting(
        defaults.GROUP_ID, description="Consumer group, shared with EnsLib.Kafka.Service."
    )
    timeout = setting(1.0, description="Seconds each poll waits for records.")
    max_poll_interval_ms = setting(
        300_000, description="Longest pause between polls before the group evicts the consumer."
    )
    max_poll_records = setting(
        500,
        description="Most records one poll hands over; keep one poll's work well within "
        "max_poll_interval_ms.",
    )
    poll_budget_seconds = setting(
        5.0,
        description="Longest time one call keeps polling while records arrive; IRIS "
        "checks for a stop request only between calls.",
    )
    Output = target(defaults.KAFKA_DEMO_BP)
    _consumer: KafkaConsumer | None = None
    _offsets: GlobalOffsetStore | None = None
    _identities: LogIdentities | None = None

    def on_init(self) -> None:
        """A bad setting stops the service at start; the consumer and the offset store open
        on the first poll, so on_poll works without on_init (as in a unit test)."""
        self._consumer_settings()
        self._poll_timeout_ms()
        self._poll_budget_seconds()

    def on_tear_down(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
            self._identities = None

    def on_poll(self) -> None:
        result = drain(
            self._poll_once,
            timeout_ms=self._poll_timeout_ms(),
            budget_seconds=self._poll_budget_seconds(),
        )
        if result.received:
            self.log_info(
                f"Handed over {result.handed_over} record(s) in {result.polls} poll(s), "
                f"skipped {result.skipped} already handed over"
            )

    def _poll_once(self, timeout_ms: int) -> PollResult:
        consumer = self._open_consumer()
        return poll_and_hand_over(
            consumer,
            self._open_offsets(),
            self._hand_over,
            timeout_ms=timeout_ms,
            identity_of=lambda topic: self._log_identity(consumer, topic),
        )

    def _log_identity(self, consumer: KafkaConsumer, topic: str) -> LogIdentity:
        if self._identities is None:
            servers = bootstrap_servers(self.kafka_broker)
            self._identities = LogIdentities(lambda name: fetch_log_identity(servers, name))
        return self._identities.of(topic, metadata_topic_id(consumer, topic))

    def _hand_over(self, message: KafkaRawMessage) -> None:
        self.send_request_async(self.Output, message)

    def _open_consumer(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = open_consumer(**self._consumer_settings())
        return self._consumer

    def _consumer_settings(self) -> dict[str, Any]:
        return {
            "kafka_broker": bootstrap_servers(self.kafka_broker),
            "topic": str(self.topic),
            "group_id": str(self.group_id),
            "max_poll_interval_ms": count_setting(
                "max_poll_interval_ms", self.max_poll_interval_ms
            ),
            "max_poll_records": count_setting("max_poll_records", self.max_poll_records),
        }

    def _poll_timeout_ms(self) -> int:
        return int(seconds_setting("timeout", self.timeout) * 1000)

    def _poll_budget_seconds(self) -> float:
        return seconds_setting("poll_budget_seconds", self.poll_budget_seconds)

    def _open_offsets(self) -> GlobalOffsetStore:
        if self._offsets is None:
            self._offsets = GlobalOffsetStore.open()
        return self._offsets


class KafkaRestBS(BusinessService):
    """The REST doors' way in: the request body (a JSON string) in, the BP's answer out.

    The answer is a message (ProductStored or ProductRejected) because IoP can hand
    only a message back through IRIS's OnProcessInput, which the native API calls.
    """

    Output = target(defaults.KAFKA_DEMO_BP)

    def on_process_input(self, request: object = None) -> ProductStored | ProductRejected:
        if not isinstance(request, str):
            raise TypeError(f"KafkaRestBS takes the request body as a str, not {type(request)}")
        reply = self.send_request_sync(self.Output, KafkaRawMessage(value=request.encode("utf-8")))
        if not isinstance(reply, (ProductStored, ProductRejected)):
            raise TypeError(f"unexpected answer from {self.Output}: {reply!r}")
        return reply
