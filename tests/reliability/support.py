"""Counts, figures and probes shared by the reliability suite.

Counts are small by default so CI stays quick; KAFKA_DEMO_FULL=1 (misc/scripts/reliability.sh)
runs the full counts. Every test prints its figures on one line, e.g.
`CRASH records=10000 kills=5 lost=0 duplicates=1 drain_s=12.3`.
"""

import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer

from kafka_demo.defaults import DLQ_TOPIC, GROUP_ID, TOPIC
from tests.support.kafka import committed_offsets, log_end_offsets, read_topic, record_key

FULL = os.environ.get("KAFKA_DEMO_FULL") == "1"


def scaled(default: int, full: int) -> int:
    """The count for this run: `full` under KAFKA_DEMO_FULL=1, else `default`."""
    return full if FULL else default


def figures(label: str, **values: object) -> str:
    """Print the test's figures as one line and return it."""
    line = " ".join([label, *(f"{key}={_figure(value)}" for key, value in values.items())])
    print(f"\n{line}", flush=True)
    return line


def _figure(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def wait_until(done: Callable[[], bool], timeout: float, interval: float = 0.25) -> float:
    """Poll `done()` until it is true; return the seconds waited, or raise after `timeout`."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not reached within {timeout:.0f} s")
        time.sleep(interval)
    return time.monotonic() - started


def product_value(name: str, price: str) -> bytes:
    return json.dumps({"name": name, "price": json.loads(price)}).encode()


def poison_value(name: str) -> bytes:
    """A record that cannot become a product (it has no price): a dead letter."""
    return json.dumps({"name": name}).encode()


def read_all(bootstrap: str, topic: str) -> list[Any]:
    """Every record of the topic: read until none has come for a few seconds."""
    return read_topic(bootstrap, topic, expected=sys.maxsize, timeout=5)


@dataclass(frozen=True)
class Outcome:
    """What became of a stream, from the topics and the rows stored by name."""

    copies: Counter[str]
    """Records of each product in the topic; a producer's retry (same value, same key) is one."""
    lost: int
    """Product records without their row."""
    stored_twice: int
    """Rows beyond the records of their name."""
    lost_dead_letters: int
    duplicate_dead_letters: int
    producer_copies: int
    """Records in the topic beyond those sent: a producer's retries written twice."""


@dataclass(frozen=True)
class Stream:
    """Named records for the demo's topic, every `poison_every`-th one poison: the products
    must end stored, the poison records dead-lettered."""

    names: tuple[str, ...]
    price: str
    poison_every: int = 50

    @classmethod
    def of(cls, prefix: str, count: int, price: str) -> "Stream":
        return cls(tuple(f"{prefix}-{index:05d}" for index in range(count)), price)

    @property
    def poison(self) -> frozenset[str]:
        every = self.poison_every
        return frozenset(n for i, n in enumerate(self.names) if i % every == every - 1)

    @property
    def products(self) -> list[str]:
        poison = self.poison
        return [name for name in self.names if name not in poison]

    @property
    def values(self) -> list[bytes]:
        poison = self.poison
        return [
            poison_value(n) if n in poison else product_value(n, self.price) for n in self.names
        ]

    def produce(self, bootstrap: str, rate: float) -> "PacedProducer":
        """Start sending the stream to the demo's topic, `rate` records a second."""
        return PacedProducer(bootstrap, TOPIC, self.values, rate).start()

    def wait_for_every_commit(self, bootstrap: str, timeout: float) -> float:
        """Until the group has committed the topic up to its end; the seconds waited."""
        ends = log_end_offsets(bootstrap, TOPIC, len(self.names))
        return wait_until(
            lambda: committed_offsets(bootstrap, TOPIC, GROUP_ID) == ends, timeout, 0.5
        )

    def outcome(self, bootstrap: str, stored: Counter[str]) -> Outcome:
        """What became of the stream, given the rows stored of each name."""
        records = read_topic(bootstrap, TOPIC, len(self.names))
        in_topic = Counter(record.value for record in records)
        keyed = Counter(value for value, _ in {(record.value, record.key) for record in records})
        products = self.products
        copies = Counter({name: keyed[product_value(name, self.price)] for name in products})
        letters = Counter(record.value for record in read_all(bootstrap, DLQ_TOPIC))
        sent = {name: in_topic[poison_value(name)] for name in self.poison}
        return Outcome(
            copies=copies,
            lost=sum(max(0, copies[name] - stored[name]) for name in products),
            stored_twice=sum(max(0, stored[name] - copies[name]) for name in products),
            lost_dead_letters=sum(
                max(0, n - letters[poison_value(name)]) for name, n in sent.items()
            ),
            duplicate_dead_letters=sum(
                max(0, letters[poison_value(name)] - n) for name, n in sent.items()
            ),
            producer_copies=sum(in_topic.values()) - len(self.names),
        )


class PacedProducer:
    """Sends records to a topic from a thread, `rate` per second, so a stream spans a test;
    each record with a unique key unless `keyed` is False."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        values: Iterable[bytes],
        rate: float,
        *,
        keyed: bool = True,
    ) -> None:
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
        )
        self._topic = topic
        self._keyed = keyed
        self._values = list(values)
        self._rate = rate
        self.sent = 0
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="paced-producer", daemon=True)

    def start(self) -> "PacedProducer":
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the producer did not finish within {timeout:.0f} s")
        self._producer.close()
        assert not self.errors, self.errors[:5]

    def _run(self) -> None:
        started = time.monotonic()
        futures = []
        for index, value in enumerate(self._values):
            key = record_key() if self._keyed else None
            futures.append(self._producer.send(self._topic, value, key=key))
            delay = started + (index + 1) / self._rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self._producer.flush(timeout=60)
        for future in futures:
            try:
                future.get(timeout=10)
                self.sent += 1
            except Exception as error:  # counted, and reported by join()
                self.errors.append(f"{type(error).__name__}: {error}")


class StorageClock:
    """Samples the stored row count ten times a second, to find pauses in storage."""

    def __init__(self, count: Callable[[], int]) -> None:
        """`count()`: the rows stored now."""
        self._count = count
        self.growth: list[float] = []  # the moments the count was seen to grow
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="storage-clock", daemon=True)

    def start(self) -> "StorageClock":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def longest_pause_after(self, moment: float, window_s: float = 30) -> float:
        """The longest time without a new row, among the pauses that overlap
        [moment, moment + window_s]."""
        pauses = [
            later - earlier
            for earlier, later in zip(self.growth, self.growth[1:], strict=False)
            if later >= moment and earlier <= moment + window_s
        ]
        return max(pauses, default=0.0)

    def _run(self) -> None:
        seen = 0
        while not self._stop.wait(0.1):
            try:
                count = self._count()
            except Exception:  # the table is not there yet
                continue
            if count > seen:
                seen = count
                self.growth.append(time.monotonic())
