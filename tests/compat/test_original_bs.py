"""The calls of the original demo's tests/kafka_demo/test_bs.py, with their effect asserted:
KafkaDemoBS built plainly, its send mocked, polled through on_process_input('')."""

import itertools
import time
from collections.abc import Iterator
from unittest.mock import MagicMock

import pytest

from kafka_demo import rules
from kafka_demo.bs import KafkaDemoBS
from kafka_demo.kafka_io.offsets import GlobalOffsetStore
from kafka_demo.msg import KafkaRawMessage
from tests.support.kafka import produce

_groups = itertools.count(1)


@pytest.fixture
def kafka_demo_bs(kafka_bootstrap: str, topics: dict[str, str]) -> Iterator[KafkaDemoBS]:
    kafka_demo_bs = KafkaDemoBS()
    kafka_demo_bs.kafka_broker = [kafka_bootstrap]
    kafka_demo_bs.topic = topics["topic"]
    kafka_demo_bs.group_id = f"compat-group-{next(_groups)}"
    kafka_demo_bs.timeout = "0.2"
    # Tansu completes a group join only after about max_poll_interval_ms.
    kafka_demo_bs.max_poll_interval_ms = "1500"
    yield kafka_demo_bs
    kafka_demo_bs.on_tear_down()


class TestKafkaDemoBs:
    def test_on_process_input(
        self, kafka_demo_bs: KafkaDemoBS, kafka_bootstrap: str, topics: dict[str, str]
    ) -> None:
        values = [b'{"name": "test", "price": 1.0}', b'{"name": "other", "price": 2}']
        produce(kafka_bootstrap, topics["topic"], values)
        kafka_demo_bs.on_init()
        kafka_demo_bs.send_request_async = MagicMock()
        deadline = time.monotonic() + 30
        while kafka_demo_bs.send_request_async.call_count < len(values):
            assert time.monotonic() < deadline, "the records were not handed over in 30 s"
            kafka_demo_bs.on_process_input("")
        sent = [call.args for call in kafka_demo_bs.send_request_async.call_args_list]
        assert {target for target, _ in sent} == {"Python.KafkaDemoBP"}
        assert all(type(message) is KafkaRawMessage for _, message in sent)
        assert sorted(message.value for _, message in sent) == sorted(values)
        assert {message.topic for _, message in sent} == {topics["topic"]}
        next_offsets: dict[int, int] = {}
        for _, message in sent:
            next_offsets[message.partition] = max(
                next_offsets.get(message.partition, 0), message.offset + 1
            )
        offsets = GlobalOffsetStore.open()  # ^KafkaDemo.Offset, at the one IRIS seam
        log = rules.kafka_log_name(sent[0][1].cluster_id, topics["topic"], sent[0][1].topic_id)
        assert {
            partition: offsets.next_offset(log, partition) for partition in next_offsets
        } == next_offsets
