"""kill -9 of `kafka-demo local` on its own embedded broker, as a newcomer would try it.

A foreign producer (librdkafka, through confluent-kafka, with its default settings) sends
records at a steady rate to the broker `kafka-demo local` started; the process is killed
with SIGKILL mid-stream (the process alone, as `kill -9 PID` does, not its process group),
then started again on the same database and ports while the producer goes on.

- `--broker apache-kafka` keeps its log on disk: every record the broker acknowledged is
  stored, and stored once.
- Tansu (the default) keeps records in memory: what it acknowledged and the production had
  not stored when the process died is lost. The loss is counted and printed, and held to
  what docs/faults.md says: only records acknowledged before the kill are lost, because
  Tansu dies with the process at once and acknowledges nothing after it.
"""

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Message, Producer

from kafka_demo.defaults import GROUP_ID, TOPIC
from tests.reliability.support import figures, product_value, scaled, wait_until
from tests.support.brokers import APACHE_KAFKA, TANSU, require_apache_kafka
from tests.support.kafka import committed_offsets, log_end_offsets
from tests.support.local_process import LocalProcess
from tests.support.storage import stored_names

RECORDS = scaled(1_200, 12_000)
RATE_PER_S = scaled(200, 300)
KILL_AFTER_STORED = RECORDS // 6
"""The kill lands once this many are stored, well before the stream ends."""
DEATH_GRACE_S = 0.5
"""How long after the SIGKILL an acknowledgement may still arrive: those in flight when the
process died (measured: the last one 8 ms after it)."""
START_TIMEOUT_S = {TANSU: 60.0, APACHE_KAFKA: 180.0}
MEMORY_LOSS_LINE = "are lost if this process dies"


@dataclass
class ForeignProducer:
    """confluent-kafka's Producer at a steady rate from a thread; each record keyed by its
    name, and the time of each acknowledgement kept."""

    bootstrap: str
    names: list[str]
    rate: float
    acked_at: dict[str, float] = field(default_factory=dict)
    failed: Counter[str] = field(default_factory=Counter)
    _thread: threading.Thread | None = None

    def start(self) -> "ForeignProducer":
        self._thread = threading.Thread(target=self._run, name="foreign-producer", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the producer did not finish within {timeout:.0f} s"

    def _run(self) -> None:
        # The delivery timeout spans a restart, so records sent while the broker is down
        # are delivered to the restarted one, as a producer's retries would.
        producer = Producer(
            {"bootstrap.servers": self.bootstrap, "message.timeout.ms": 120_000, "log_level": 0}
        )
        started = time.monotonic()
        for index, name in enumerate(self.names):
            producer.produce(
                TOPIC, product_value(name, "1.50"), key=name.encode(), on_delivery=self._delivered
            )
            producer.poll(0)
            delay = started + (index + 1) / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        producer.flush(150)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        name = (message.key() or b"").decode()
        if error is None:
            self.acked_at[name] = time.monotonic()
        else:
            self.failed[error.name()] += 1


@pytest.fixture(params=[TANSU, APACHE_KAFKA])
def embedded(request: pytest.FixtureRequest) -> str:
    if request.param == APACHE_KAFKA:
        require_apache_kafka()
    return str(request.param)


@pytest.fixture
def local(embedded: str, tmp_path: Path) -> Iterator[LocalProcess]:
    """`kafka-demo local` on its own database and ports, with `--broker apache-kafka` or as
    it starts by default (Tansu); killed at the end."""
    process = LocalProcess(
        f"sqlite:///{tmp_path / 'kafka_demo.db'}",
        tmp_path / "local.log",
        options=() if embedded == TANSU else ("--broker", embedded),
    )
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()


def test_kill_9_of_kafka_demo_local_mid_stream_then_a_restart(
    embedded: str, local: LocalProcess, tmp_path: Path
) -> None:
    database = tmp_path / "kafka_demo.db"
    names = [f"newcomer-{index:05d}" for index in range(RECORDS)]
    local.start(START_TIMEOUT_S[embedded])
    producer = ForeignProducer(local.bootstrap, names, RATE_PER_S).start()

    wait_until(lambda: sum(stored_names(database).values()) >= KILL_AFTER_STORED, 60, 0.05)
    assert local.process is not None
    os.kill(local.process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    local.process.wait(10)
    wait_until(lambda: not local.group_alive(), 30, 0.1)  # the orphaned gunicorn worker
    restarted_at = time.monotonic()
    local.start(START_TIMEOUT_S[embedded])
    producer.join(RECORDS / RATE_PER_S + 180)

    acked = set(producer.acked_at)
    # Every record of the broker's log handed over: on Tansu, the new broker's log holds only
    # what it acknowledged after the restart.
    in_log = [
        at for at in producer.acked_at.values() if embedded == APACHE_KAFKA or at > restarted_at
    ]
    ends = log_end_offsets(local.bootstrap, TOPIC, len(in_log))
    wait_until(
        lambda: _caught_up(committed_offsets(local.bootstrap, TOPIC, GROUP_ID), ends), 120, 0.5
    )
    stored = stored_names(database)
    lost = sorted(acked - set(stored))
    acked_while_down = [
        name
        for name, at in producer.acked_at.items()
        if killed_at + DEATH_GRACE_S < at < restarted_at
    ]
    lost_after_the_kill = [
        name for name in lost if producer.acked_at[name] > killed_at + DEATH_GRACE_S
    ]
    local.stop()

    figures(
        "EMBEDDED_CRASH",
        broker=embedded,
        sent=RECORDS,
        acked=len(acked),
        stored=len(stored),
        lost=len(lost),
        duplicates=sum(count - 1 for count in stored.values()),
        acked_while_down=len(acked_while_down),
        undelivered=sum(producer.failed.values()),
        down_s=restarted_at - killed_at,
    )
    assert set(stored) <= set(names)
    assert max(stored.values()) == 1, "no record is stored twice"
    assert acked_while_down == [], "the broker acknowledged records after its process died"
    if embedded == APACHE_KAFKA:
        assert lost == []
        assert len(acked) == RECORDS
    else:
        assert lost_after_the_kill == [], "only what was acknowledged before the kill is lost"
        assert local.log_path.read_text().count(MEMORY_LOSS_LINE) == 2, "said on each start"


def _caught_up(committed: dict[int, int], ends: dict[int, int]) -> bool:
    return all(committed.get(partition, 0) >= end for partition, end in ends.items())
