"""IRIS's own Kafka adapter delivers EnsLib.Kafka.Message objects; turn one into the raw message."""

from typing import Any

from kafka_demo.msg import KafkaRawMessage

_STREAM_CHUNK = 32_000


def raw_message_from_iris_kafka(message: Any) -> KafkaRawMessage:
    """`value` is a %String; a record too long for one arrives in the `binaryValue` stream.

    `key` is one of the message's documented properties ("Using External Messaging Platforms
    in Productions", 2026.1, Kafka Message Class: topic, value, binaryValue, key); a record
    that has one is stored under it and its value's digest, as KafkaDemoBS stores it, so
    either consumer may read it. UNCONFIRMED without IRIS: that IRIS decodes a key's bytes as
    UTF-8 (the rules ignore a key with a replacement character); that `value` is the UTF-8
    text of the record's bytes, so that its bytes here, and their digest, are the ones
    KafkaDemoBS reads; and whether the message exposes the partition and offset: they are
    left unknown (-1), so a keyless record through this door has no source.
    """
    text = message.value or ""
    raw = text.encode("utf-8") if text else _read_stream(message.binaryValue)
    key = getattr(message, "key", None) or ""
    # Built in one step, as consuming.raw_message does: an origin first validates it twice.
    return KafkaRawMessage(
        topic=str(message.topic or ""), key=str(key), **KafkaRawMessage.payload_fields(raw)
    )


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
