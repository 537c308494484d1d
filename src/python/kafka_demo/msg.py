"""The messages of the production, as IRIS stores them (IOP.Message, JSON bodies).

They are IoP PydanticMessages: the JSON is the same as a dataclass Message's,
but IoP rebuilds them with pydantic's compiled validator (about 15 us a message
instead of about 250 us), and a field of the wrong type fails on receipt (IoP's
SerializationError, before any handler) instead of passing through as a dataclass
Message's would. The business rules are not types: the BP and the operations check
those. Do not add `from __future__ import annotations`
here: IoP rebuilds messages from their annotations.

The messages that the original demo has take its positional arguments too,
in its field order (`KafkaRawMessage(value)`, `ProductSQLMessage(name, price)`);
every other field is keyword-only.
"""

import base64
from decimal import Decimal
from typing import Any, ClassVar, TypedDict

from iop import PydanticMessage

from kafka_demo.product import Product


class _Message(PydanticMessage):
    """A PydanticMessage that also takes its `POSITIONAL` fields by position."""

    POSITIONAL: ClassVar[tuple[str, ...]] = ()

    def __init__(self, /, *args: Any, **fields: Any) -> None:
        if args:
            fields = self._by_name(args, fields)
        self.__pydantic_validator__.validate_python(fields, self_instance=self)

    # Tells pydantic this __init__ builds the model as its own does (IoP's
    # PydanticMessage.__init__ only passes keywords on to it). Pydantic then does
    # not call __init__ from model_validate_json, IoP's way of rebuilding a message
    # on receipt, which would validate every message a second time.
    # The ignore: to mypy a function has no such attribute; pydantic reads it at run time.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def _by_name(cls, args: tuple[Any, ...], fields: dict[str, Any]) -> dict[str, Any]:
        named = dict(zip(cls.POSITIONAL, args, strict=False))
        if len(named) < len(args):
            raise TypeError(
                f"{cls.__name__} takes {len(cls.POSITIONAL)} positional argument(s) "
                f"({', '.join(cls.POSITIONAL) or 'none'}) but {len(args)} were given"
            )
        if fields:
            if twice := sorted(named.keys() & fields.keys()):
                raise TypeError(f"{cls.__name__} got multiple values for argument '{twice[0]}'")
            named.update(fields)
        return named


class _PayloadFields(TypedDict):
    value: bytes
    value_base64: str


class _RawPayload(_Message):
    """Bytes that may not be UTF-8: IoP carries `bytes` as UTF-8 text, so other bytes travel
    base64-encoded in `value_base64` and `value` stays empty."""

    value: bytes = b""
    value_base64: str = ""

    def payload(self) -> bytes:
        """The original bytes, whichever field carries them."""
        return base64.b64decode(self.value_base64) if self.value_base64 else self.value

    @staticmethod
    def payload_fields(raw: bytes) -> _PayloadFields:
        """The field values that carry `raw` through IoP without loss."""
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"value": b"", "value_base64": base64.b64encode(raw).decode("ascii")}
        return {"value": raw, "value_base64": ""}


NO_PLACE = -1
"""A partition or offset the door does not know."""


class RecordOrigin(_Message):
    """Where a product event came from: a Kafka record's coordinates, as far as its door
    knows them. The rules (rules.kafka_source) make a record's identity from it.

    `topic`, `partition` and `offset` place the record in its log: the topic is empty for an
    input that is no Kafka record (an HTTP body), and partition and offset are NO_PLACE where
    the door does not give them (EnsLib.Kafka.Service's message). `key` is the record's Kafka
    key as text (empty without one); `cluster_id` and `topic_id` name the log it was read
    from, where the broker gave them.

    KafkaRawMessage is a RecordOrigin with a payload: it inherits these fields, so they are
    declared once and stay flat in its JSON, and the message itself is passed where an origin
    is taken.
    """

    topic: str = ""
    partition: int = NO_PLACE
    offset: int = NO_PLACE
    key: str = ""
    cluster_id: str = ""
    topic_id: str = ""

    def is_kafka_record(self) -> bool:
        return bool(self.topic)

    def coordinates(self) -> dict[str, Any]:
        """The six fields alone, also of a message that is a RecordOrigin."""
        return {name: getattr(self, name) for name in RecordOrigin.model_fields}

    def origin_text(self) -> str:
        """Where the event came from, for logs: `topic[partition]@offset`, or HTTP request."""
        if self.is_kafka_record():
            return f"{self.topic}[{self.partition}]@{self.offset}"
        return "HTTP request"


class KafkaRawMessage(RecordOrigin, _RawPayload):
    """A product event as it arrived, before any rule ran: a Kafka record or an HTTP body.

    Its JSON holds the payload, then where it came from (RecordOrigin's fields; an HTTP body
    has none). Pydantic orders inherited fields from the last base to the first, so the order
    of the bases is what keeps the payload first.
    """

    POSITIONAL = ("value",)

    @classmethod
    def from_record(cls, raw: bytes, origin: RecordOrigin) -> "KafkaRawMessage":
        """A Kafka record: its bytes, and where they came from."""
        return cls(**origin.coordinates(), **cls.payload_fields(raw))


class KafkaDeadLetterMessage(_RawPayload):
    """A record that cannot become a product: its original bytes, why, and where it was in
    its topic (topic, partition, offset and key)."""

    reason: str = ""
    topic: str = ""
    partition: int = NO_PLACE
    offset: int = NO_PLACE
    key: str = ""

    @classmethod
    def for_record(cls, record: KafkaRawMessage, reason: str) -> "KafkaDeadLetterMessage":
        """The reason, and every other field as the record has it."""
        kept = {name: getattr(record, name) for name in cls.model_fields if name != "reason"}
        return cls(reason=reason, **kept)


class _ProductMessage(_Message):
    """A product, as the rules define it (kafka_demo.product.Product)."""

    POSITIONAL = ("name", "price")

    name: str
    price: Decimal


class KafkaTestMessage(_ProductMessage):
    """A product for KafkaDemoBO to publish on the topic (the target of `iop --test`)."""


class _ProductToStore(_ProductMessage):
    """A product for LocalStorageBO, and where it came from.

    `source` identifies a Kafka record by its topic, key and value, or by its log and
    offset (see rules.kafka_source): storing the same source twice keeps one row. Empty
    for an input without one, which is always stored as a new row.
    """

    source: str = ""


class ProductSQLMessage(_ProductToStore):
    """Store this product with raw SQL."""


class ProductIRISMessage(_ProductToStore):
    """Store this product through the IRIS ORM (`User.product`, a %Persistent class)."""


class ProductSQLAlchemyMessage(_ProductToStore):
    """Store this product through the SQLAlchemy ORM."""


class ProductMessage(ProductSQLAlchemyMessage):
    """The original demo's name for ProductSQLAlchemyMessage; LocalStorageBO stores both alike.

    A class of its own rather than an alias, so that IRIS records the name the
    sender used (IoP keeps `module.Class` as the message's classname) and IoP's
    dispatch, which matches exact class names, finds a handler for each.
    """


class ProductStored(PydanticMessage):
    """The answer to a stored product: which route stored it and the new row's id."""

    route: str
    id: int


class ProductNotStored(PydanticMessage):
    """LocalStorageBO's answer to a product the table refuses for good (storage.NeverStorable):
    why. An answer, not an error, so the BP can tell it from an outage and dead-letter it."""

    reason: str


class ProductRejected(PydanticMessage):
    """The answer to an event that is not a valid product: why, and which field if one."""

    reason: str
    field: str = ""


class KafkaRecordSent(PydanticMessage):
    """Where KafkaDemoBO's record landed."""

    topic: str
    partition: int
    offset: int


__all__ = [
    "KafkaDeadLetterMessage",
    "KafkaRawMessage",
    "KafkaRecordSent",
    "KafkaTestMessage",
    "Product",
    "ProductIRISMessage",
    "ProductMessage",
    "ProductNotStored",
    "ProductRejected",
    "ProductSQLAlchemyMessage",
    "ProductSQLMessage",
    "ProductStored",
    "RecordOrigin",
]
