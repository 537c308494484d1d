"""Where a product event came from; free of IoP so every door and the rules can use it."""

from dataclasses import dataclass

NO_PLACE = -1
"""A partition or offset the door does not know."""


@dataclass(frozen=True)
class RecordOrigin:
    """A Kafka record's coordinates, as far as the door that read it knows them.

    `topic`, `partition` and `offset` place the record in its log: the topic is empty for an
    input that is no Kafka record (an HTTP body), and partition and offset are NO_PLACE where
    the door does not give them (EnsLib.Kafka.Service's message). `key` is the record's Kafka
    key as text (empty without one); `cluster_id` and `topic_id` name the log it was read
    from, where the broker gave them. KafkaRawMessage carries these six as fields of its own
    (its JSON in IRIS keeps them flat) and gives them back as a RecordOrigin (`.origin`).
    """

    topic: str = ""
    partition: int = NO_PLACE
    offset: int = NO_PLACE
    key: str = ""
    cluster_id: str = ""
    topic_id: str = ""

    def is_kafka_record(self) -> bool:
        return bool(self.topic)

    def __str__(self) -> str:
        """Where the event came from, for logs: `topic[partition]@offset`, or HTTP request."""
        if self.is_kafka_record():
            return f"{self.topic}[{self.partition}]@{self.offset}"
        return "HTTP request"


ORIGIN_FIELDS = frozenset(RecordOrigin.__dataclass_fields__)
"""The names of the six coordinates, which are also KafkaRawMessage's fields of the same names."""
