"""consuming: a record as the message the BP takes, and how long one on_poll keeps polling,
on a clock the test moves."""

from kafka_demo.kafka_io.clients import LogIdentity
from kafka_demo.kafka_io.consuming import PollResult, drain, raw_message, record_origin
from kafka_demo.msg import KafkaRawMessage, RecordOrigin
from tests.support.kafka import TANSU_TOPIC_ID, consumer_record, tansu_origin


def test_a_record_becomes_a_raw_message_with_its_place_key_and_log() -> None:
    value = b'{"name": "a", "price": 1}'
    message = raw_message(
        consumer_record(value, key=b"sku-42"), LogIdentity("tansu_cluster", TANSU_TOPIC_ID)
    )
    assert message == KafkaRawMessage.from_record(value, tansu_origin(1, 42, key="sku-42"))


def test_a_tombstone_is_empty_bytes_and_a_key_that_is_not_utf8_keeps_its_replacement() -> None:
    """The rules take a key with a replacement character for no key (rules.kafka_key_source)."""
    message = raw_message(consumer_record(None, key=b"\xffk"))
    assert message == KafkaRawMessage(
        b"", topic="kafka_demo", partition=1, offset=42, key="\ufffdk"
    )


def test_a_records_origin_is_its_place_key_and_log() -> None:
    record = consumer_record(b"{}", key=b"sku-42")
    assert record_origin(record, LogIdentity("tansu_cluster", TANSU_TOPIC_ID)) == tansu_origin(
        1, 42, key="sku-42"
    )


def test_a_records_origin_without_its_logs_identity_has_an_empty_cluster_and_topic_id() -> None:
    assert record_origin(consumer_record(b"{}")) == RecordOrigin(
        topic="kafka_demo", partition=1, offset=42, key="", cluster_id="", topic_id=""
    )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Polls:
    """Each poll returns the next batch size (0 = empty) and takes `seconds` on the clock."""

    def __init__(self, clock: Clock, batches: list[int], seconds: float) -> None:
        self.clock = clock
        self.batches = list(batches)
        self.seconds = seconds
        self.timeouts_ms: list[int] = []

    def __call__(self, timeout_ms: int) -> PollResult:
        self.timeouts_ms.append(timeout_ms)
        self.clock.now += self.seconds
        found = self.batches.pop(0) if self.batches else 0
        return PollResult(handed_over=found)


def test_polls_until_one_comes_back_empty() -> None:
    clock = Clock()
    polls = Polls(clock, [100, 100, 37, 0, 100], seconds=0.1)

    result = drain(polls, timeout_ms=1000, budget_seconds=5, clock=clock)

    assert (result.handed_over, result.polls) == (237, 4)
    assert polls.batches == [100]  # never polled past the empty one


def test_skipped_records_count_as_arrived() -> None:
    clock = Clock()
    batches = iter([PollResult(skipped=50), PollResult(handed_over=3), PollResult()])

    result = drain(lambda _: next(batches), timeout_ms=1000, budget_seconds=5, clock=clock)

    assert (result.handed_over, result.skipped, result.polls) == (3, 50, 3)


def test_an_idle_topic_costs_one_poll_of_the_full_timeout() -> None:
    clock = Clock()
    polls = Polls(clock, [0], seconds=1.0)

    result = drain(polls, timeout_ms=1000, budget_seconds=5, clock=clock)

    assert (result.received, result.polls) == (0, 1)
    assert polls.timeouts_ms == [1000]


def test_no_poll_starts_once_the_budget_is_spent_and_none_waits_past_it() -> None:
    clock = Clock()
    polls = Polls(clock, [100] * 50, seconds=0.25)

    result = drain(polls, timeout_ms=1000, budget_seconds=1.0, clock=clock)

    assert (result.handed_over, result.polls) == (400, 4)  # done at 0.25, 0.5, 0.75, 1 s
    assert polls.timeouts_ms == [1000, 750, 500, 250]


def test_a_poll_waits_no_longer_than_the_budget_left_below_the_timeout() -> None:
    clock = Clock()
    polls = Polls(clock, [100] * 50, seconds=0.5)

    result = drain(polls, timeout_ms=5000, budget_seconds=3.0, clock=clock)

    assert (result.handed_over, result.polls) == (600, 6)
    assert polls.timeouts_ms == [3000, 2500, 2000, 1500, 1000, 500]


def test_a_poll_with_under_a_millisecond_of_budget_left_does_not_wait() -> None:
    clock = Clock()
    polls = Polls(clock, [100] * 50, seconds=0.9995)

    result = drain(polls, timeout_ms=1000, budget_seconds=1.0, clock=clock)

    assert (result.handed_over, result.polls) == (200, 2)
    assert polls.timeouts_ms == [1000, 0]
