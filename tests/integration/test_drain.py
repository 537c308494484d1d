"""KafkaDemoBS.on_poll drains a backlog within its time budget, on a real broker.

IRIS calls on_poll once per CallInterval (Ens.InboundAdapter's OnTask), so a call
must keep polling while records arrive, or a backlog drains at one poll per
CallInterval; and it must return within its budget, since IRIS sees a stop request
only between calls.
"""

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kafka_demo.bs import KafkaDemoBS
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.msg import KafkaRawMessage
from tests.support.hosts import RecordingHandle, build_component
from tests.support.kafka import produce

POLL_TIMEOUT_S = 0.5
_groups = itertools.count(1)


class SlowHandle(RecordingHandle):
    """A BP that takes `seconds` to accept each record."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def dispatchSendRequestAsync(self, target: str, request: Any, *rest: Any) -> None:  # noqa: N802
        time.sleep(self.seconds)
        super().dispatchSendRequestAsync(target, request, *rest)


class CountedPolls:
    """Wraps the consumer's poll to count the calls and keep the timeouts asked for."""

    def __init__(self, consumer: Any) -> None:
        self.timeouts_ms: list[int] = []
        self._poll = consumer.poll
        consumer.poll = self

    def __call__(self, timeout_ms: int = 0, **kwargs: Any) -> Any:
        self.timeouts_ms.append(timeout_ms)
        return self._poll(timeout_ms=timeout_ms, **kwargs)


@pytest.fixture
def start_service(kafka_bootstrap: str, topics: dict[str, str]) -> Iterator[Any]:
    started: list[KafkaDemoBS] = []

    def start(
        handle: RecordingHandle, *, max_poll_records: int, budget: float
    ) -> tuple[KafkaDemoBS, CountedPolls]:
        service = build_component(
            KafkaDemoBS,
            handle,
            kafka_broker=kafka_bootstrap,
            topic=topics["topic"],
            group_id=f"drain-{next(_groups)}",
            timeout=POLL_TIMEOUT_S,
            # Tansu completes a group join only after about max_poll_interval_ms.
            max_poll_interval_ms=1500,
            max_poll_records=max_poll_records,
            poll_budget_seconds=budget,
        )
        started.append(service)
        consumer = service._open_consumer()
        deadline = time.monotonic() + 30
        while len(consumer.assignment()) < 2:  # an empty topic: each call is one poll
            assert time.monotonic() < deadline, "KafkaDemoBS did not join its group"
            service.on_poll()
        return service, CountedPolls(consumer)

    yield start
    for service in started:
        service.on_tear_down()


def products(count: int) -> list[bytes]:
    return [json.dumps({"name": f"p{i}", "price": 1}).encode() for i in range(count)]


def handed_over_names(handle: RecordingHandle) -> list[str]:
    assert all(
        send.kind == "async" and send.target == "Python.KafkaDemoBP" for send in handle.sends
    )
    assert all(isinstance(send.message, KafkaRawMessage) for send in handle.sends)
    return [json.loads(send.message.payload())["name"] for send in handle.sends]


def test_a_backlog_is_drained_in_one_call_poll_after_poll(
    start_service: Any, kafka_bootstrap: str, topics: dict[str, str], iris: IrisStandIn
) -> None:
    handle = RecordingHandle()
    service, polls = start_service(handle, max_poll_records=20, budget=60)
    produce(kafka_bootstrap, topics["topic"], products(200))

    service.on_poll()

    assert sorted(handed_over_names(handle)) == sorted(f"p{i}" for i in range(200))
    assert len(polls.timeouts_ms) >= 200 // 20 + 1  # 20 at most per poll, then an empty one
    assert iris.event_log.texts("Info")[-1] == (
        f"Handed over 200 record(s) in {len(polls.timeouts_ms)} poll(s), "
        "skipped 0 already handed over"
    )


def test_an_idle_topic_costs_one_short_poll(start_service: Any, iris: IrisStandIn) -> None:
    handle = RecordingHandle()
    service, polls = start_service(handle, max_poll_records=20, budget=60)
    logged = len(iris.event_log.texts("Info"))

    started = time.monotonic()
    service.on_poll()
    elapsed = time.monotonic() - started

    assert polls.timeouts_ms == [int(POLL_TIMEOUT_S * 1000)]
    assert elapsed < POLL_TIMEOUT_S + 1.0
    assert handle.sends == []
    assert len(iris.event_log.texts("Info")) == logged  # a quiet call logs nothing


def test_a_call_returns_once_its_budget_is_spent_and_the_next_goes_on(
    start_service: Any, kafka_bootstrap: str, topics: dict[str, str]
) -> None:
    handle = SlowHandle(seconds=0.01)  # 10 records per poll: 0.1 s a batch, 2 s in all
    budget = 0.4
    service, polls = start_service(handle, max_poll_records=10, budget=budget)
    produce(kafka_bootstrap, topics["topic"], products(200))

    started = time.monotonic()
    service.on_poll()
    elapsed = time.monotonic() - started

    first_call = len(handle.sends)
    assert 10 <= first_call < 200
    # The budget is overrun by at most the hand-off of the batch in hand (0.1 s).
    assert elapsed < budget + 0.1 + 0.5
    assert all(timeout <= budget * 1000 for timeout in polls.timeouts_ms)
    deadline = time.monotonic() + 60
    while len(handle.sends) < 200:
        assert time.monotonic() < deadline, "the backlog was not drained"
        service.on_poll()
    assert sorted(handed_over_names(handle)) == sorted(f"p{i}" for i in range(200))
