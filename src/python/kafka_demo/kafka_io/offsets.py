"""Where KafkaDemoBS remembers, per log and partition, the next offset to hand over.

In IRIS this is the global ^KafkaDemo.Offset(log, partition), where the log names one
life of a topic (rules.kafka_log_name: `<cluster>/<topic>/<topic id>`), so the offsets
of a topic created again, or of a new broker, never stand for the old one's; it is written
once per poll batch, after its records were handed to the BP and before the
Kafka commit, so a consumer restarted between the two does not hand them over
again.
"""

from typing import Any, Protocol

from kafka_demo.iris_gateway import iris_global

OFFSET_GLOBAL = "^KafkaDemo.Offset"


class OffsetStore(Protocol):
    def next_offset(self, log: str, partition: int) -> int | None:
        """The next offset to hand over, or None if nothing was handed over yet."""

    def handed_over(self, log: str, partition: int, offset: int) -> None:
        """Record that the records up to `offset` were handed over."""


class GlobalOffsetStore:
    """An OffsetStore kept in an IRIS global: ^KafkaDemo.Offset(log, partition) = next offset."""

    def __init__(self, glob: Any) -> None:
        self._global = glob

    @classmethod
    def open(cls, name: str = OFFSET_GLOBAL) -> "GlobalOffsetStore":
        return cls(iris_global(name))

    def next_offset(self, log: str, partition: int) -> int | None:
        key = [log, partition]
        if self._global.data(key) % 10 != 1:  # $DATA: 1 or 11 when the node has a value
            return None
        return int(self._global.get(key))

    def handed_over(self, log: str, partition: int, offset: int) -> None:
        self._global.set([log, partition], offset + 1)
