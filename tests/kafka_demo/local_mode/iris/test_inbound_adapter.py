"""The local poller calls KafkaDemoBS as Ens.InboundAdapter's OnTask loop does."""

import logging
import threading
import time

import pytest

from kafka_demo.local_mode.iris.inbound_adapter import InboundAdapterLoop


def run_for(loop: InboundAdapterLoop, seconds: float) -> None:
    stopping = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stopping,))
    thread.start()
    time.sleep(seconds)
    stopping.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_a_quick_call_is_followed_by_the_next_one_call_interval_after_it_started() -> None:
    starts: list[float] = []
    loop = InboundAdapterLoop("svc", lambda: starts.append(time.monotonic()), call_interval=0.2)

    run_for(loop, 1.1)

    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert 4 <= len(starts) <= 6
    assert all(gap >= 0.19 for gap in gaps)


def test_a_call_longer_than_the_interval_is_followed_by_the_next_at_once() -> None:
    calls: list[tuple[float, float]] = []

    def slow() -> None:
        started = time.monotonic()
        time.sleep(0.3)
        calls.append((started, time.monotonic()))

    run_for(InboundAdapterLoop("svc", slow, call_interval=0.2), 1.0)

    waits = [nxt[0] - prev[1] for prev, nxt in zip(calls, calls[1:], strict=False)]
    assert len(calls) >= 2
    assert all(wait < 0.05 for wait in waits)


def test_a_failed_call_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def failing() -> None:
        calls.append(1)
        raise RuntimeError("broker away")

    with caplog.at_level(logging.ERROR, logger="kafka_demo.local_mode.iris.inbound_adapter"):
        run_for(InboundAdapterLoop("Python.KafkaDemoBS", failing, call_interval=0.1), 0.45)

    assert len(calls) >= 3
    assert "Python.KafkaDemoBS: broker away" in caplog.messages


def test_the_call_interval_is_at_least_callintervals_minimum() -> None:
    assert InboundAdapterLoop("svc", lambda: None, call_interval=0).call_interval == 0.1
