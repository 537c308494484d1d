"""Where KafkaDemoBS remembers, per topic and partition, the next offset to hand over.

In IRIS this is the global ^KafkaDemo.Offset(topic, partition); it is written
once per poll batch, after its records were handed to the BP and before the
Kafka commit, so a consumer restarted between the two does not hand them over
again.
"""

from typing import Any, Protocol

from kafka_demo.iris_gateway import iris_global

OFFSET_GLOBAL = "^KafkaDemo.Offset"


class OffsetStore(Protocol):
    def next_offset(self, topic: str, partition: int) -> int | None:
        """The next offset to hand over, or None if nothing was handed over yet."""

    def handed_over(self, topic: str, partition: int, offset: int) -> None:
        """Record that the records up to `offset` were handed over."""


class GlobalOffsetStore:
    """An OffsetStore kept in an IRIS global: ^KafkaDemo.Offset(topic, partition) = next offset."""

    def __init__(self, glob: Any) -> None:
        self._global = glob

    @classmethod
    def open(cls, name: str = OFFSET_GLOBAL) -> "GlobalOffsetStore":
        return cls(iris_global(name))

    def next_offset(self, topic: str, partition: int) -> int | None:
        key = [topic, partition]
        if self._global.data(key) % 10 != 1:  # $DATA: 1 or 11 when the node has a value
            return None
        return int(self._global.get(key))

    def handed_over(self, topic: str, partition: int, offset: int) -> None:
        self._global.set([topic, partition], offset + 1)
