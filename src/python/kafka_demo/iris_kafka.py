"""IRIS's own Kafka adapter delivers EnsLib.Kafka.Message objects; turn one into the raw message."""

from typing import Any

from kafka_demo.msg import KafkaRawMessage

_STREAM_CHUNK = 32_000


def raw_message_from_iris_kafka(message: Any) -> KafkaRawMessage:
    """`value` is a %String; a record too long for one arrives in the `binaryValue` stream.

    UNCONFIRMED without IRIS: whether EnsLib.Kafka.Message exposes the partition and
    offset, so they are left unknown (-1) and the dead letter names only the topic.
    """
    text = message.value or ""
    raw = text.encode("utf-8") if text else _read_stream(message.binaryValue)
    return KafkaRawMessage.from_record(raw, str(message.topic or ""), -1, -1)


def _read_stream(stream: Any) -> bytes:
    if stream is None or not getattr(stream, "Size", 0):
        return b""
    stream.Rewind()
    chunks = []
    while not stream.AtEnd:
        chunk = stream.Read(_STREAM_CHUNK)
        # A binary stream's characters are bytes 0-255 when they come back as str.
        chunks.append(chunk.encode("latin-1") if isinstance(chunk, str) else bytes(chunk))
    return b"".join(chunks)
