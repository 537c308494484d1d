"""The business rules for product events, as pure functions.

The Business Process calls these on every input; the REST doors call the very
same functions to answer 400 before anything reaches IRIS. Nothing here does
I/O or imports IoP, so tests drive the rules directly and the standalone
server can import them without IoP installed.
"""

import hashlib
import json
import random
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kafka_demo.product import Product

if TYPE_CHECKING:  # for the annotation only: kafka_demo.msg needs IoP, and the rules must not
    from kafka_demo.msg import RecordOrigin

NAME_MAX_LENGTH = 255
"""The length of the `name` column, VARCHAR(255), counted as IRIS counts it (iris_length)."""

PRICE_INTEGER_DIGITS = 8
PRICE_DECIMAL_PLACES = 2
"""The `price` column is DECIMAL(10, 2): 8 digits before the point, 2 after."""

_CENT = Decimal(1).scaleb(-PRICE_DECIMAL_PLACES)
_PRICE_LIMIT = Decimal(10) ** PRICE_INTEGER_DIGITS

ROUTE_SQL = "sql"
ROUTE_IRIS = "iris"
ROUTE_SQLALCHEMY = "sqlalchemy"
ALL_ROUTES = (ROUTE_SQL, ROUTE_IRIS, ROUTE_SQLALCHEMY)
"""The three ways of storing a product: raw SQL, the IRIS ORM, the SQLAlchemy ORM."""


class InvalidProduct(ValueError):
    """The input cannot become a Product; `field` names the culprit when there is one."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field

    def as_dict(self) -> dict[str, str]:
        """The JSON error body the REST doors answer with."""
        body = {"error": self.reason}
        if self.field is not None:
            body["field"] = self.field
        return body


def decode_payload(raw: bytes) -> str:
    """Decode a record's bytes as UTF-8 text."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidProduct(
            "payload is not valid UTF-8 "
            f"(byte {error.start}: {raw[error.start : error.start + 1]!r})"
        ) from None


def _reject_constant(name: str) -> Any:
    raise InvalidProduct(f"payload is not valid JSON ({name} is not a JSON number)")


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse JSON text that must hold an object; every number becomes an exact Decimal.

    Integers too: Python's int() refuses more than 4300 digits with a ValueError,
    which would turn a client's long number into a server fault.
    """
    try:
        value = json.loads(
            text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as error:
        raise InvalidProduct(
            f"payload is not valid JSON ({error.msg} at position {error.pos})"
        ) from None
    except RecursionError:
        raise InvalidProduct("payload is not valid JSON (nested too deeply)") from None
    if not isinstance(value, dict):
        raise InvalidProduct(f"payload must be a JSON object, not {_json_type_name(value)}")
    return value


def validate_name(value: Any) -> str:
    """A name is a non-blank string that fits the column; it is kept verbatim."""
    if value is None:
        raise InvalidProduct("name is required", "name")
    if not isinstance(value, str):
        raise InvalidProduct(f"name must be a string, not {_json_type_name(value)}", "name")
    if not value.strip():
        raise InvalidProduct("name must not be blank", "name")
    _require_unicode_text(value)
    length = iris_length(value)
    if length > NAME_MAX_LENGTH:
        wide = " (a character beyond U+FFFF counts as 2)" if length > len(value) else ""
        raise InvalidProduct(
            f"name must be at most {NAME_MAX_LENGTH} characters, not {length}{wide}", "name"
        )
    return value


def iris_length(text: str) -> int:
    """The length IRIS checks against a column's MAXLEN: its strings are 16-bit characters, and
    $LENGTH counts a character beyond U+FFFF (a surrogate pair) as two (docs $WLENGTH,
    RCOS_fwlength). That a VARCHAR's check uses $LENGTH, not $WLENGTH, is a guess."""
    return len(text.encode("utf-16-le")) // 2


def _require_unicode_text(name: str) -> None:
    """JSON's \\uD800-style escapes can spell lone surrogates, which no UTF-8 text, message
    or database column can hold."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(name[error.start])
        raise InvalidProduct(
            f"name must be Unicode text, not a lone surrogate (\\u{code:04x} at {error.start})",
            "name",
        ) from None


def validate_price(value: Any) -> Decimal:
    """A price is a JSON number, finite, >= 0, < 10^8, with at most 2 decimal places.

    Strings are refused, even numeric ones: a JSON number is exact here (it is
    parsed as a Decimal), so there is no precision to save by quoting it.
    """
    if value is None:
        raise InvalidProduct("price is required", "price")
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidProduct(f"price must be a number, not {_json_type_name(value)}", "price")
    # A float's text, not its binary value: 19.99 is the price 19.99. Neither form can raise.
    price = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not price.is_finite():
        raise InvalidProduct("price must be a finite number", "price")
    if price < 0:
        raise InvalidProduct("price must not be negative", "price")
    if price >= _PRICE_LIMIT:
        raise InvalidProduct(
            f"price must have at most {PRICE_INTEGER_DIGITS} digits before the decimal point",
            "price",
        )
    cents = price.quantize(_CENT)
    if cents != price:
        raise InvalidProduct(
            f"price must have at most {PRICE_DECIMAL_PLACES} decimal places", "price"
        )
    return cents.copy_abs()


def validate_product(data: Mapping[str, Any]) -> Product:
    """Build a Product from a parsed JSON object; fields other than name and price are ignored."""
    return Product(name=validate_name(data.get("name")), price=validate_price(data.get("price")))


def product_from_text(text: str) -> Product:
    """JSON text to a validated Product."""
    return validate_product(parse_json_object(text))


def product_from_bytes(raw: bytes) -> Product:
    """A Kafka record's bytes to a validated Product."""
    return product_from_text(decode_payload(raw))


def product_to_json(product: Product) -> bytes:
    """The wire form of a product on the Kafka topic: the same JSON the REST doors take."""
    # The price is written as a JSON number; float() is exact enough here, because a
    # valid price has at most 10 significant digits and repr() round-trips 15.
    return json.dumps(
        {"name": product.name, "price": float(product.price)}, ensure_ascii=False
    ).encode("utf-8")


KAFKA_SOURCE_PREFIX = "kafka:"
"""A record identified by its place: `kafka:<cluster>/<topic>/<topic id>/<partition>/<offset>`."""
KAFKA_KEY_SOURCE_PREFIX = "kafka-key:"
"""A keyed record identified by topic, key and value: `kafka-key:<topic>/<key>/<value digest>`."""
KEY_LITERAL_MAX = 64
_KEY_LITERAL = re.compile(rf"[a-z0-9._-]{{1,{KEY_LITERAL_MAX}}}")
"""Keys written as they are; any other key is written as `sha256:` and its digest. IRIS's default
collation for strings is SQLUPPER (docs "Namespace-wide Default Collation", GSQL_collation_ns),
which folds case and drops trailing spaces, so a unique index there would take `Ab` and `ab`
for one key: a digest (lowercase hex) keeps them apart, and bounds the length."""
_CLUSTER_LITERAL = re.compile(r"[A-Za-z0-9._-]{1,64}")
_NO_TOPIC_ID = uuid.UUID(int=0)
"""What a broker without topic ids answers in a Metadata response of version 10 or more."""


def kafka_source(origin: "RecordOrigin", value: bytes) -> str:
    """The product's `source` key for a Kafka record, so a record read again is stored once.

    A record with a key is identified by its topic, its key and a digest of its value, whichever
    consumer read it: EnsLib.Kafka.Service's message carries the topic, the key and the value
    but no partition or offset. Two records with one key and different values (an entity's
    successive states, as Kafka means keys) are two records and both are stored; a record
    with the key and the value of one already stored is taken as that record read again. A
    record without a key is identified by its place in its log: cluster id, topic, topic id,
    partition and offset. The topic id (KIP-516) names one life of the topic: a topic created
    again, or the same topic on a new broker, gets a new one, so its offsets, which start over,
    never meet old keys. Without a topic id, an offset names no record for sure, so such a
    record gets no key (it may be stored twice, never skipped for another). Empty when there is
    no key.
    """
    if not origin.is_kafka_record():
        return ""
    by_key = kafka_key_source(origin.topic, origin.key, value)
    if by_key or origin.partition < 0 or origin.offset < 0:
        return by_key
    log = kafka_log_name(origin.cluster_id, origin.topic, origin.topic_id)
    return f"{KAFKA_SOURCE_PREFIX}{log}/{origin.partition}/{origin.offset}" if log else ""


def kafka_key_source(topic: str, key: str, value: bytes) -> str:
    """`kafka-key:<topic>/<key>/<sha256 of the value, lowercase hex>`, or empty without a usable
    key.

    A key is unique only within its topic, so the topic is part of it; the topic id is not,
    since EnsLib.Kafka.Service's message does not give it. A key that is not text (a
    replacement character stands for bytes that were not UTF-8) is no usable key: each
    consumer may turn such bytes into text its own way.
    """
    if not topic or not key or "\ufffd" in key:
        return ""
    text = key if _KEY_LITERAL.fullmatch(key) else _digest(key)
    return f"{KAFKA_KEY_SOURCE_PREFIX}{topic}/{text}/{hashlib.sha256(value).hexdigest()}"


def kafka_log_name(cluster_id: str, topic: str, topic_id: str) -> str:
    """`<cluster>/<topic>/<topic id>`: one life of one topic, or empty when the broker gave no
    topic id (its text form, lowercase: case-safe under SQLUPPER)."""
    try:
        known = uuid.UUID(topic_id)
    except ValueError:
        return ""
    if known == _NO_TOPIC_ID or not topic:
        return ""
    return f"{_cluster_text(cluster_id)}/{topic}/{known}"


def _cluster_text(cluster_id: str) -> str:
    """The cluster id as it is when short and plain (Apache Kafka's have 22 characters),
    else its digest; empty when the broker gave none."""
    if not cluster_id or _CLUSTER_LITERAL.fullmatch(cluster_id):
        return cluster_id
    return _digest(cluster_id)


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_routes(setting: str) -> tuple[str, ...]:
    """Parse the BP's `storage_routes` setting: a comma-separated subset of ALL_ROUTES."""
    routes = tuple(dict.fromkeys(part.strip() for part in setting.split(",") if part.strip()))
    unknown = [route for route in routes if route not in ALL_ROUTES]
    if unknown or not routes:
        raise ValueError(
            f"storage_routes must name one or more of {', '.join(ALL_ROUTES)}; got {setting!r}"
        )
    return routes


def choose_route(
    routes: Sequence[str], chooser: Callable[[Sequence[str]], str] | None = None
) -> str:
    """Pick the storage route at random among `routes`, as the original demo did."""
    if len(routes) == 1:
        return routes[0]
    return (chooser or random.choice)(routes)


def _json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
