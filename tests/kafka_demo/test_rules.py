"""The business rules, driven directly: every way an event can fail to be a product."""

import hashlib
from decimal import Decimal

import pytest

from kafka_demo import rules
from kafka_demo.models import SOURCE_LENGTH
from kafka_demo.msg import RecordOrigin
from kafka_demo.product import Product


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"name": "apple", "price": 10}', Product("apple", Decimal("10.00"))),
        (b'{"name": "apple", "price": 10.5}', Product("apple", Decimal("10.50"))),
        (b'{"name": "apple", "price": 1e2}', Product("apple", Decimal("100.00"))),
        (b'{"name": "apple", "price": 0}', Product("apple", Decimal("0.00"))),
        (b'{"name": "apple", "price": -0.0}', Product("apple", Decimal("0.00"))),
        (b'{"name": "apple", "price": 99999999.99}', Product("apple", Decimal("99999999.99"))),
        (b'{"name": "apple", "price": 10.500}', Product("apple", Decimal("10.50"))),
        (b'{"name": "\\ud83d\\ude00", "price": 1}', Product("\U0001f600", Decimal("1.00"))),
        (
            '{"name": "caf\u00e9 \u20ac \U0001f600", "price": 3}'.encode(),
            Product("caf\u00e9 \u20ac \U0001f600", Decimal("3.00")),
        ),
        (
            b'{"name": "  padded  ", "price": 1, "colour": "red"}',
            Product("  padded  ", Decimal("1.00")),
        ),
        (
            ('{"name": "' + "n" * 255 + '", "price": 1}').encode(),
            Product("n" * 255, Decimal("1.00")),
        ),
        (
            ('{"name": "' + "\U0001f4a9" * 127 + 'n", "price": 1}').encode(),
            Product("\U0001f4a9" * 127 + "n", Decimal("1.00")),
        ),
    ],
)
def test_valid_payloads_become_products_with_exact_decimal_prices(
    payload: bytes, expected: Product
) -> None:
    product = rules.product_from_bytes(payload)
    assert product == expected
    assert str(product.price) == str(expected.price)


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        (b"\xff\xfe{}", None, "payload is not valid UTF-8 (byte 0: b'\\xff')"),
        (
            '{"name": "caf\u00e9"'.encode()[:-2] + b"\xc3",
            None,
            "payload is not valid UTF-8 (byte 13: b'\\xc3')",
        ),
        (b"not json", None, "payload is not valid JSON (Expecting value at position 0)"),
        (b"", None, "payload is not valid JSON (Expecting value at position 0)"),
        (
            b'{"name": "a", "price": NaN}',
            None,
            "payload is not valid JSON (NaN is not a JSON number)",
        ),
        (
            b'{"name": "a", "price": Infinity}',
            None,
            "payload is not valid JSON (Infinity is not a JSON number)",
        ),
        (b"[1, 2]", None, "payload must be a JSON object, not an array"),
        (b'"apple"', None, "payload must be a JSON object, not a string"),
        (b"null", None, "payload must be a JSON object, not null"),
        (b'{"price": 1}', "name", "name is required"),
        (b'{"name": null, "price": 1}', "name", "name is required"),
        (b'{"name": 5, "price": 1}', "name", "name must be a string, not a number"),
        (b'{"name": "   ", "price": 1}', "name", "name must not be blank"),
        (
            ('{"name": "' + "n" * 256 + '", "price": 1}').encode(),
            "name",
            "name must be at most 255 characters, not 256",
        ),
        (
            ('{"name": "' + "\U0001f4a9" * 128 + '", "price": 1}').encode(),
            "name",
            "name must be at most 255 characters, not 256 (a character beyond U+FFFF counts as 2)",
        ),
        (
            b'{"name": "\\ud800", "price": 1}',
            "name",
            "name must be Unicode text, not a lone surrogate (\\ud800 at 0)",
        ),
        (
            b'{"name": "a\\udfff", "price": 1}',
            "name",
            "name must be Unicode text, not a lone surrogate (\\udfff at 1)",
        ),
        (b'{"name": "a"}', "price", "price is required"),
        (b'{"name": "a", "price": "10.50"}', "price", "price must be a number, not a string"),
        (b'{"name": "a", "price": true}', "price", "price must be a number, not a boolean"),
        (b'{"name": "a", "price": [1]}', "price", "price must be a number, not an array"),
        (b'{"name": "a", "price": -1}', "price", "price must not be negative"),
        (b'{"name": "a", "price": -0.01}', "price", "price must not be negative"),
        (b'{"name": "a", "price": 10.005}', "price", "price must have at most 2 decimal places"),
        (
            b'{"name": "a", "price": 100000000}',
            "price",
            "price must have at most 8 digits before the decimal point",
        ),
        (
            b'{"name": "a", "price": 12345678901}',
            "price",
            "price must have at most 8 digits before the decimal point",
        ),
        (
            b'{"name": "a", "price": ' + b"9" * 5000 + b"}",
            "price",
            "price must have at most 8 digits before the decimal point",
        ),
        (
            b'{"name": ' + b"7" * 5000 + b', "price": 1}',
            "name",
            "name must be a string, not a number",
        ),
        (
            b'{"name": "a", "price": 1e400}',
            "price",
            "price must have at most 8 digits before the decimal point",
        ),
    ],
)
def test_invalid_payloads_say_which_field_and_why(
    payload: bytes, field: str | None, reason: str
) -> None:
    with pytest.raises(rules.InvalidProduct) as raised:
        rules.product_from_bytes(payload)
    assert (raised.value.field, raised.value.reason, str(raised.value)) == (field, reason, reason)


def test_an_error_body_names_the_field_only_when_there_is_one() -> None:
    assert rules.InvalidProduct("price must not be negative", "price").as_dict() == {
        "error": "price must not be negative",
        "field": "price",
    }
    assert rules.InvalidProduct("payload is not valid JSON").as_dict() == {
        "error": "payload is not valid JSON"
    }


def test_deeply_nested_json_is_an_invalid_product_not_a_crash() -> None:
    with pytest.raises(rules.InvalidProduct) as raised:
        rules.product_from_bytes(b"[" * 100_000 + b"]" * 100_000)
    assert raised.value.as_dict() == {"error": "payload is not valid JSON (nested too deeply)"}


@pytest.mark.parametrize("price", [float("inf"), float("-inf"), float("nan")])
def test_a_price_that_is_no_finite_number_is_refused_on_its_field(price: float) -> None:
    """JSON cannot spell these, but a message built by hand (the original's tests build them
    with floats) can hold one."""
    with pytest.raises(rules.InvalidProduct) as raised:
        rules.validate_price(price)
    assert raised.value.as_dict() == {"error": "price must be a finite number", "field": "price"}


@pytest.mark.parametrize(
    ("price", "cents"), [(19.99, "19.99"), (0.07, "0.07"), (99999999.99, "99999999.99")]
)
def test_a_float_price_in_cents_is_taken_as_the_decimal_it_prints_as(
    price: float, cents: str
) -> None:
    """19.99 as a float is 19.989999999999998436805981327779591083526611328125: the rules
    take the shortest text that reads back to it, as a user wrote it."""
    assert str(rules.validate_price(price)) == cents


def test_the_wire_form_of_a_product_parses_back_to_the_same_product() -> None:
    product = Product('caf\u00e9 "quoted"', Decimal("12345678.99"))
    assert rules.product_from_bytes(rules.product_to_json(product)) == product


def test_the_wire_form_is_utf8_json_with_the_name_unescaped_and_the_price_a_number() -> None:
    wire = rules.product_to_json(Product("caf\u00e9 \U0001f600", Decimal("19.99")))
    assert wire == '{"name": "caf\u00e9 \U0001f600", "price": 19.99}'.encode()


@pytest.mark.parametrize(
    ("name", "price", "error"),
    [
        (
            {"first": "a"},
            Decimal(1),
            {"error": "name must be a string, not an object", "field": "name"},
        ),
        (b"bytes", Decimal(1), {"error": "name must be a string, not bytes", "field": "name"}),
        ("a", {"amount": 1}, {"error": "price must be a number, not an object", "field": "price"}),
        ("a", b"1", {"error": "price must be a number, not bytes", "field": "price"}),
    ],
)
def test_a_field_of_the_wrong_type_is_named_with_its_type(
    name: object, price: object, error: dict[str, str]
) -> None:
    """JSON's names for JSON's types; a message built by hand may hold any other, named by its
    Python type."""
    with pytest.raises(rules.InvalidProduct) as raised:
        rules.validate_product({"name": name, "price": price})
    assert raised.value.as_dict() == error


@pytest.mark.parametrize(
    ("setting", "routes"),
    [
        ("sql,iris,sqlalchemy", ("sql", "iris", "sqlalchemy")),
        (" sql , sqlalchemy ", ("sql", "sqlalchemy")),
        ("iris", ("iris",)),
        ("sql,sql", ("sql",)),
    ],
)
def test_storage_routes_setting_is_parsed(setting: str, routes: tuple[str, ...]) -> None:
    assert rules.parse_routes(setting) == routes


@pytest.mark.parametrize("setting", ["", "sql,mongo", " , "])
def test_unknown_or_empty_storage_routes_are_refused(setting: str) -> None:
    with pytest.raises(ValueError) as raised:
        rules.parse_routes(setting)
    assert str(raised.value) == (
        f"storage_routes must name one or more of sql, iris, sqlalchemy; got {setting!r}"
    )


def test_a_single_route_is_fixed_and_several_are_picked_by_the_chooser() -> None:
    assert rules.choose_route(("iris",), chooser=lambda routes: "never called") == "iris"
    assert (
        rules.choose_route(("sql", "sqlalchemy"), chooser=lambda routes: routes[-1]) == "sqlalchemy"
    )


def test_random_choice_reaches_every_route() -> None:
    seen = {rules.choose_route(rules.ALL_ROUTES) for _ in range(200)}
    assert seen == set(rules.ALL_ROUTES)


TOPIC_ID = "01a24107-d3a5-78a3-a2b1-308219185006"
"""A topic id as Tansu 0.6 gives one (a UUIDv7; Apache Kafka's, in UUID form, look the same)."""
LOG = {"cluster_id": "tansu_cluster", "topic_id": TOPIC_ID}


VALUE = b'{"name": "widget", "price": 5}'
VALUE_DIGEST = hashlib.sha256(VALUE).hexdigest()


def source_of(topic: str, partition: int, offset: int, **more: str) -> str:
    """The source key of VALUE read at that place, with the rest of its origin in `more`."""
    origin = RecordOrigin(topic=topic, partition=partition, offset=offset, **more)
    return rules.kafka_source(origin, VALUE)


@pytest.mark.parametrize(
    ("topic", "partition", "offset", "source"),
    [
        ("kafka_demo", 0, 0, f"kafka:tansu_cluster/kafka_demo/{TOPIC_ID}/0/0"),
        ("kafka_demo", 1, 12345, f"kafka:tansu_cluster/kafka_demo/{TOPIC_ID}/1/12345"),
        ("kafka_demo", -1, -1, ""),
        ("kafka_demo", 0, -1, ""),
        ("", -1, -1, ""),
    ],
)
def test_a_kafka_source_key_needs_the_log_and_both_coordinates(
    topic: str, partition: int, offset: int, source: str
) -> None:
    assert source_of(topic, partition, offset, **LOG) == source


def test_the_same_offsets_of_another_life_of_the_topic_get_other_keys() -> None:
    """A new Tansu (same constant cluster id) or a topic created again: a new topic id."""
    before = source_of("kafka_demo", 0, 0, **LOG)
    other_id = "01a24108-0000-7000-8000-000000000001"
    after = source_of("kafka_demo", 0, 0, cluster_id="tansu_cluster", topic_id=other_id)
    assert before != after
    apache = source_of(
        "kafka_demo", 0, 0, cluster_id="5L6g3nShT-eMCtK--X86sw", topic_id=TOPIC_ID.upper()
    )
    assert apache == f"kafka:5L6g3nShT-eMCtK--X86sw/kafka_demo/{TOPIC_ID}/0/0"


@pytest.mark.parametrize(
    "topic_id", ["", "00000000-0000-0000-0000-000000000000", "AAAAAAAAAAAAAAAAAAAAAA", "x"]
)
def test_without_a_topic_id_an_offset_names_no_record_so_there_is_no_key(topic_id: str) -> None:
    """The safest rule: a record stored twice is visible, one skipped for another is lost."""
    found = source_of("kafka_demo", 0, 0, cluster_id="c", topic_id=topic_id)
    assert found == ""
    assert rules.kafka_log_name("c", "kafka_demo", topic_id) == ""


def test_a_cluster_id_that_is_long_or_not_plain_is_written_as_its_digest() -> None:
    odd = "cluster/with/slashes"
    digest = hashlib.sha256(odd.encode()).hexdigest()
    assert rules.kafka_log_name(odd, "t", TOPIC_ID) == f"sha256:{digest}/t/{TOPIC_ID}"
    assert rules.kafka_log_name("", "t", TOPIC_ID) == f"/t/{TOPIC_ID}"


def test_the_longest_source_keys_fit_the_column() -> None:
    longest_topic = "t" * 249
    coordinates = source_of(
        longest_topic, 2**31 - 1, 2**63 - 1, cluster_id="c" * 65, topic_id=TOPIC_ID
    )
    literal_key = "k" * rules.KEY_LITERAL_MAX
    by_key = source_of(longest_topic, 0, 0, key=literal_key, **LOG)
    hashed = source_of(longest_topic, 0, 0, key="K" * 10_000, **LOG)
    assert max(map(len, (coordinates, by_key, hashed))) <= SOURCE_LENGTH
    assert (len(coordinates), len(by_key), len(hashed)) == (395, 389, 396)


def test_a_keyed_record_is_known_by_its_topic_key_and_value_whatever_its_offset() -> None:
    key = "5d0c6f9e-2b1a-4c3e-9f00-7a1b2c3d4e5f"
    by_bs = source_of("kafka_demo", 1, 42, key=key, **LOG)
    by_iris_adapter = source_of("kafka_demo", -1, -1, key=key)
    assert by_bs == by_iris_adapter == f"kafka-key:kafka_demo/{key}/{VALUE_DIGEST}"
    assert source_of("other_topic", -1, -1, key=key) == (
        f"kafka-key:other_topic/{key}/{VALUE_DIGEST}"
    )


def test_an_update_by_key_is_another_record_and_the_same_value_again_is_the_same_one() -> None:
    """`sku-42` at price 5, then at price 6: two sources; price 5 read again: the first one."""
    five = rules.kafka_key_source("kafka_demo", "sku-42", b'{"name": "widget", "price": 5}')
    six = rules.kafka_key_source("kafka_demo", "sku-42", b'{"name": "widget", "price": 6}')
    again = rules.kafka_key_source("kafka_demo", "sku-42", b'{"name": "widget", "price": 5}')
    assert five != six
    assert five == again
    assert five.startswith("kafka-key:kafka_demo/sku-42/")


@pytest.mark.parametrize("key", ["Order-7", "order 7", "order-7 ", "ключ", "k" * 65, "a:b"])
def test_a_key_that_is_not_plain_lowercase_is_written_as_its_digest(key: str) -> None:
    """IRIS's default collation (SQLUPPER) folds case and trailing spaces in a unique index."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    assert rules.kafka_key_source("t", key, VALUE) == f"kafka-key:t/sha256:{digest}/{VALUE_DIGEST}"


def test_keys_that_differ_only_in_case_or_trailing_space_get_keys_apart_under_sqlupper() -> None:
    keys = ["abc", "ABC", "Abc", "abc ", "abc  "]
    sources = [rules.kafka_key_source("t", key, VALUE) for key in keys]
    assert len({source.upper().rstrip() for source in sources}) == len(keys)


def test_values_that_differ_only_in_case_get_keys_apart_under_sqlupper() -> None:
    """The value's digest is lowercase hex: two values give two digests, whatever their case."""
    sources = [rules.kafka_key_source("t", "k", value) for value in (b'{"a": 1}', b'{"A": 1}')]
    assert len({source.upper() for source in sources}) == 2
    assert all(source == source.lower() for source in sources)


@pytest.mark.parametrize("key", ["", "bad\ufffdkey"])
def test_an_empty_key_or_one_that_was_not_utf8_is_no_key(key: str) -> None:
    assert source_of("kafka_demo", 0, 5, key=key, **LOG) == (
        f"kafka:tansu_cluster/kafka_demo/{TOPIC_ID}/0/5"
    )
    assert source_of("kafka_demo", -1, -1, key=key) == ""
