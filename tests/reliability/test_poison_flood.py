"""A flood where a third of the records are garbage: valid ones stored once, the rest dead-lettered.

The lag bound: the runtime stores about 50 valid records a second and dead-letters
faster, so lag returns to 0 within 30 s (group join and slack) plus 1 s per 20 records.
"""

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kafka_demo.defaults import DLQ_TOPIC, GROUP_ID, TOPIC
from tests.reliability.poison import GARBAGE, flood
from tests.reliability.support import PacedProducer, figures, scaled, wait_until
from tests.support.brokers import BROKER_KINDS, Broker
from tests.support.kafka import committed_offsets, log_end_offsets, read_topic
from tests.support.local_process import LocalProcess
from tests.support.storage import stored_names

pytestmark = [
    pytest.mark.parametrize("broker", BROKER_KINDS, indirect=True),
]

RECORDS = scaled(330, 2_000)
LAG_BOUND_S = 30 + RECORDS / 20


def test_a_poison_flood_is_dead_lettered_with_reasons_and_the_lag_returns_to_zero(
    broker: Broker, db_path: Path, start_local: Callable[[], LocalProcess]
) -> None:
    seed = int(os.environ.get("KAFKA_DEMO_SEED", "20260611"))
    records = flood(RECORDS, seed)
    valid = [record for record in records if record.valid]
    garbage = [record for record in records if not record.valid]
    runtime = start_local()

    PacedProducer(broker.bootstrap, TOPIC, [r.value for r in records], rate=10_000).start().join(60)
    produced = time.monotonic()
    ends = log_end_offsets(broker.bootstrap, TOPIC, RECORDS)
    assert sum(ends.values()) == RECORDS
    lag_s = wait_until(
        lambda: committed_offsets(broker.bootstrap, TOPIC, GROUP_ID) == ends, LAG_BOUND_S, 0.5
    )
    drain_s = time.monotonic() - produced

    stored = stored_names(db_path)
    letters = read_topic(broker.bootstrap, DLQ_TOPIC, len(garbage), timeout=30)
    topic = read_topic(broker.bootstrap, TOPIC, RECORDS)
    originals = {(record.partition, record.offset): record.value for record in topic}
    with_reason = [letter for letter in letters if dict(letter.headers).get("dlq.reason")]
    values = set(originals.values())
    faithful = [letter for letter in letters if _faithful(letter, originals, values)]
    dead_lettered = Counter(letter.value for letter in letters)
    missing = [r.kind for r in garbage if dead_lettered[r.value] < 1]
    runtime.stop()

    figures(
        "POISON",
        records=RECORDS,
        valid=len(valid),
        garbage=len(garbage),
        kinds=len(GARBAGE),
        stored_once=sum(stored[r.name] == 1 for r in valid),
        in_dlq=len(letters),
        with_reason=len(with_reason),
        original_bytes=len(faithful),
        missing_from_dlq=len(missing),
        lag=0,
        drain_s=drain_s,
        lag_bound_s=LAG_BOUND_S,
        seed=seed,
    )
    assert not missing, Counter(missing)
    assert sorted(stored.elements()) == sorted(r.name for r in valid)
    assert len(letters) == len(garbage) == len(with_reason) == len(faithful)
    assert lag_s <= LAG_BOUND_S


def _faithful(letter: Any, originals: dict[tuple[int, int], bytes], values: set[bytes]) -> bool:
    """The letter holds its record's original bytes: those at its partition and offset, or, from
    EnsLib.Kafka.Service (whose message carries neither: -1), those of a record of the topic."""
    origin = _origin(letter)
    if origin == (-1, -1):
        return letter.value in values
    return letter.value == originals[origin]


def _origin(letter: Any) -> tuple[int, int]:
    headers = dict(letter.headers)
    return int(headers["dlq.partition"]), int(headers["dlq.offset"])
