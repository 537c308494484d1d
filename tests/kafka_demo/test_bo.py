"""LocalStorageBO through IoP's dispatch, on a real SQLite database, and KafkaDemoBO's headers."""

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer
from iop.messages.serialization import SerializationError
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from kafka_demo import rules, storage
from kafka_demo.bo import KafkaDemoBO, LocalStorageBO, dead_letter_headers
from kafka_demo.bp import STORAGE_MESSAGES, KafkaDemoBP
from kafka_demo.local_mode.iris.iris_standin import IOPMessage
from kafka_demo.msg import (
    KafkaDeadLetterMessage,
    KafkaRawMessage,
    ProductIRISMessage,
    ProductNotStored,
    ProductSQLAlchemyMessage,
    ProductSQLMessage,
    ProductStored,
    RecordOrigin,
)
from kafka_demo.product import Product
from tests.support.hosts import RecordingHandle, build_component
from tests.support.iris_fakes import ProductClass
from tests.support.storage import product_rows


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "products.db"


@pytest.fixture
def storage_bo(database: Path) -> LocalStorageBO:
    return build_component(LocalStorageBO, connection_string=f"sqlite:///{database}?timeout=0.2")


def store(bo: LocalStorageBO, message: Any) -> Any:
    return dispatch_deserializer(bo._dispatch_on_message(dispatch_serializer(message)))


def test_the_bp_maps_exactly_the_routes_the_rules_name() -> None:
    assert set(STORAGE_MESSAGES) == set(rules.ALL_ROUTES)


@pytest.mark.parametrize("route", rules.ALL_ROUTES)
def test_each_storage_route_has_a_message_a_handler_and_an_insert_that_agree(
    route: str, storage_bo: LocalStorageBO, database: Path, product_class: ProductClass
) -> None:
    """The five places of a storage route (README, "Where a change goes") agree: the rules name
    it, the BP sends its message, IoP dispatches that message to a LocalStorageBO handler, and
    the handler's insert stores the product and answers with the same route."""
    handle = RecordingHandle(answer=lambda target, message: store(storage_bo, message))
    bp = build_component(KafkaDemoBP, handle, storage_routes=route)
    record = KafkaRawMessage.from_record(
        b'{"name": "pear", "price": 2.25}',
        RecordOrigin(topic="kafka_demo", partition=0, offset=3, key="sku-3"),
    )

    reply = dispatch_deserializer(bp._dispatch_on_request(handle, dispatch_serializer(record)))

    assert reply == ProductStored(route=route, id=1)
    (send,) = handle.sends
    assert (send.target, type(send.message)) == ("Python.LocalStorageBO", STORAGE_MESSAGES[route])
    source = rules.kafka_source(record, record.payload())
    if route == rules.ROUTE_IRIS:
        assert (product_class.saved, product_class.sources) == (
            [(1, "pear", Decimal("2.25"))],
            [source],
        )
        assert product_rows(database) == []
    else:
        assert product_rows(database) == [(1, "pear", "2.25")]
        assert sources(database) == [(1, source)]
        assert product_class.saved == []


def test_raw_sql_and_sqlalchemy_routes_write_identical_rows(
    storage_bo: LocalStorageBO, database: Path
) -> None:
    first = store(
        storage_bo, ProductSQLMessage(name="caf\u00e9 \U0001f600", price=Decimal("10.50"))
    )
    second = store(
        storage_bo, ProductSQLAlchemyMessage(name="caf\u00e9 \U0001f600", price=Decimal("10.50"))
    )
    assert (first, second) == (
        ProductStored(route="sql", id=1),
        ProductStored(route="sqlalchemy", id=2),
    )
    assert product_rows(database) == [
        (1, "caf\u00e9 \U0001f600", "10.50"),
        (2, "caf\u00e9 \U0001f600", "10.50"),
    ]


def test_prices_are_stored_to_the_cent(storage_bo: LocalStorageBO, database: Path) -> None:
    for price in ("0.10", "0.01", "99999999.99", "19.99"):
        store(storage_bo, ProductSQLMessage(name="p", price=Decimal(price)))
        store(storage_bo, ProductSQLAlchemyMessage(name="p", price=Decimal(price)))
    assert [price for _, _, price in product_rows(database)] == [
        "0.10",
        "0.10",
        "0.01",
        "0.01",
        "99999999.99",
        "99999999.99",
        "19.99",
        "19.99",
    ]


def test_the_iris_orm_route_saves_a_user_product(
    storage_bo: LocalStorageBO, product_class: ProductClass
) -> None:
    reply = store(storage_bo, ProductIRISMessage(name="pear", price=Decimal("2.25")))
    assert reply == ProductStored(route="iris", id=1)
    assert product_class.saved == [(1, "pear", Decimal("2.25"))]


def test_a_failed_iris_save_is_an_error_on_the_message(
    storage_bo: LocalStorageBO, product_class: ProductClass
) -> None:
    product_class.failure = "ERROR #5808: Key not unique"
    with pytest.raises(RuntimeError, match="Key not unique"):
        store(storage_bo, ProductIRISMessage(name="pear", price=Decimal("2.25")))
    assert product_class.saved == []


def test_the_iris_orm_route_saves_the_source_key_and_leaves_it_empty_without_one(
    storage_bo: LocalStorageBO, product_class: ProductClass
) -> None:
    store(storage_bo, ProductIRISMessage(name="keyed", price=Decimal("1"), source="kafka:t/0/1"))
    store(storage_bo, ProductIRISMessage(name="from http", price=Decimal("2")))
    assert product_class.sources == ["kafka:t/0/1", None]


KEY_NOT_UNIQUE = "ERROR #5808: Key not unique: User.product:SOURCEIDX:^User.productI(1)"
"""The text of a %Save's error status when a unique index holds the key."""


def test_an_iris_save_refused_for_a_source_already_stored_answers_that_row(
    storage_bo: LocalStorageBO, product_class: ProductClass, database: Path
) -> None:
    """The save comes first; its ERROR #5808 makes the route look the source up, as the SQL
    routes do after a unique violation."""
    store(storage_bo, ProductSQLMessage(name="pear", price=Decimal("2.25"), source="kafka:t/0/4"))
    product_class.failure = KEY_NOT_UNIQUE
    reply = store(
        storage_bo, ProductIRISMessage(name="pear", price=Decimal("2.25"), source="kafka:t/0/4")
    )
    assert reply == ProductStored(route="iris", id=1)
    assert product_rows(database) == [(1, "pear", "2.25")]


def test_an_iris_key_not_unique_for_a_source_no_row_holds_is_an_error_with_its_text(
    storage_bo: LocalStorageBO, product_class: ProductClass
) -> None:
    product_class.failure = KEY_NOT_UNIQUE
    with pytest.raises(Exception) as raised:
        store(storage_bo, ProductIRISMessage(name="pear", price=Decimal("1"), source="kafka:t/0/5"))
    assert str(raised.value) == KEY_NOT_UNIQUE


@pytest.mark.parametrize("source", ["kafka:t/0/6", ""])
def test_an_iris_save_that_fails_otherwise_is_an_error_even_for_a_stored_source(
    storage_bo: LocalStorageBO, product_class: ProductClass, database: Path, source: str
) -> None:
    """Only ERROR #5808 means "stored already": any other failed save is the message's error,
    with the status's text."""
    store(storage_bo, ProductSQLMessage(name="pear", price=Decimal("1"), source="kafka:t/0/6"))
    product_class.failure = "ERROR #5002: SQLCODE -114: the row is locked"
    with pytest.raises(RuntimeError) as raised:
        store(storage_bo, ProductIRISMessage(name="pear", price=Decimal("1"), source=source))
    assert str(raised.value) == "ERROR #5002: SQLCODE -114: the row is locked"
    assert product_rows(database) == [(1, "pear", "1.00")]


def test_the_table_is_created_with_the_declared_columns(
    storage_bo: LocalStorageBO, database: Path
) -> None:
    store(storage_bo, ProductSQLMessage(name="a", price=Decimal("1")))
    with sqlite3.connect(database) as connection:
        columns = {
            row[1]: (row[2], row[3]) for row in connection.execute("PRAGMA table_info(product)")
        }
    assert columns == {
        "id": ("INTEGER", 1),
        "name": ("VARCHAR(255)", 1),
        "price": ("NUMERIC(10, 2)", 1),
        "source": ("VARCHAR(400)", 0),
    }


def sources(database: Path) -> list[tuple[int, str | None]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute("SELECT id, source FROM product ORDER BY id"))


SQL_ROUTES = pytest.mark.parametrize("message_class", [ProductSQLMessage, ProductSQLAlchemyMessage])


@SQL_ROUTES
def test_the_same_source_stored_twice_is_one_row_and_answers_its_id(
    storage_bo: LocalStorageBO, database: Path, message_class: type
) -> None:
    first = store(storage_bo, message_class(name="a", price=Decimal("1"), source="kafka:t/0/5"))
    again = store(storage_bo, message_class(name="a", price=Decimal("1"), source="kafka:t/0/5"))
    assert first.id == again.id == 1
    assert sources(database) == [(1, "kafka:t/0/5")]


@SQL_ROUTES
def test_two_sources_are_two_rows(
    storage_bo: LocalStorageBO, database: Path, message_class: type
) -> None:
    ids = [
        store(storage_bo, message_class(name="a", price=Decimal("1"), source=source)).id
        for source in ("kafka:t/0/5", "kafka:t/1/5")
    ]
    assert ids == [1, 2]
    assert sources(database) == [(1, "kafka:t/0/5"), (2, "kafka:t/1/5")]


@SQL_ROUTES
def test_without_a_source_every_product_is_a_new_row_with_a_null_source(
    storage_bo: LocalStorageBO, database: Path, message_class: type
) -> None:
    ids = [store(storage_bo, message_class(name="a", price=Decimal("1"))).id for _ in range(3)]
    assert ids == [1, 2, 3]
    assert sources(database) == [(1, None), (2, None), (3, None)]


@pytest.mark.parametrize("insert", [storage.insert_with_sql, storage.insert_with_sqlalchemy])
def test_a_route_called_without_a_source_adds_a_row_with_a_null_source(
    database: Path, insert: Any
) -> None:
    engine = storage.open_engine(f"sqlite:///{database}")
    try:
        ids = [insert(engine, Product("a", Decimal("1"))) for _ in range(2)]
    finally:
        engine.dispose()
    assert ids == [1, 2]
    assert sources(database) == [(1, None), (2, None)]


def test_a_source_stored_by_one_route_is_found_by_the_other(
    storage_bo: LocalStorageBO, database: Path
) -> None:
    source = "kafka:t/0/1"
    by_sql = store(storage_bo, ProductSQLMessage(name="a", price=Decimal("1"), source=source))
    by_orm = store(
        storage_bo, ProductSQLAlchemyMessage(name="a", price=Decimal("1"), source=source)
    )
    assert (by_sql, by_orm) == (
        ProductStored(route="sql", id=1),
        ProductStored(route="sqlalchemy", id=1),
    )
    assert len(product_rows(database)) == 1


def test_a_table_made_before_source_existed_gets_the_column_and_its_unique_index(
    storage_bo: LocalStorageBO, database: Path
) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE product (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, "
            "price NUMERIC(10, 2) NOT NULL)"
        )
        connection.execute("INSERT INTO product (name, price) VALUES ('old', 1)")
    for _ in range(2):
        store(storage_bo, ProductSQLMessage(name="new", price=Decimal("2"), source="kafka:t/0/9"))
    assert sources(database) == [(1, None), (2, "kafka:t/0/9")]
    with sqlite3.connect(database) as connection, pytest.raises(sqlite3.IntegrityError):
        connection.execute(
            "INSERT INTO product (name, price, source) VALUES ('twin', 2, 'kafka:t/0/9')"
        )


def test_a_failed_insert_whose_source_is_not_stored_is_still_an_error(
    storage_bo: LocalStorageBO, database: Path
) -> None:
    # An IntegrityError as a unique violation is, but no row holds the source: not a twin.
    with pytest.raises(Exception, match="NOT NULL constraint failed"):
        storage.insert_with_sql(
            storage.open_engine(f"sqlite:///{database}"), Product(None, Decimal(1)), "kafka:t/0/1"
        )
    assert product_rows(database) == []


@SQL_ROUTES
def test_a_source_already_holding_another_product_is_answered_as_never_storable(
    storage_bo: LocalStorageBO, database: Path, message_class: type
) -> None:
    """Not a silent twin, and not an error a resend would repeat: an answer the BP dead-letters."""
    store(storage_bo, message_class(name="old", price=Decimal("1.50"), source="kafka:t/0/0"))
    reply = store(
        storage_bo, message_class(name="new", price=Decimal("1.50"), source="kafka:t/0/0")
    )
    assert reply == ProductNotStored(
        reason="kafka:t/0/0 is stored already as row 1 with another product ('old', 1.50)"
    )
    assert product_rows(database) == [(1, "old", "1.50")]


@SQL_ROUTES
def test_a_product_the_table_refuses_by_a_constraint_is_answered_as_never_storable(
    storage_bo: LocalStorageBO, database: Path, message_class: type
) -> None:
    """A CHECK on the table (a rule of the database's owner) refuses the row on every try."""
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE product (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, "
            "price NUMERIC(10, 2) NOT NULL CHECK (price < 1000), source VARCHAR(400) UNIQUE)"
        )
    reply = store(
        storage_bo, message_class(name="dear", price=Decimal("5000"), source="kafka:t/0/3")
    )
    assert reply == ProductNotStored(
        reason="the table refuses the product: CHECK constraint failed: price < 1000"
    )
    assert product_rows(database) == []


@SQL_ROUTES
def test_a_locked_database_stays_an_error_on_the_message_for_a_resend(
    storage_bo: LocalStorageBO, database: Path, message_class: type
) -> None:
    """A lock may pass: the message fails (IRIS marks it Error), no answer is made of it."""
    store(storage_bo, message_class(name="first", price=Decimal("1"), source="kafka:t/0/4"))
    locker = sqlite3.connect(database, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            store(storage_bo, message_class(name="later", price=Decimal("1"), source="kafka:t/0/5"))
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert product_rows(database) == [(1, "first", "1.00")]


def test_the_iris_orm_route_is_given_the_source(
    storage_bo: LocalStorageBO, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = []
    monkeypatch.setattr(
        storage, "insert_with_iris_orm", lambda engine, product, source: given.append(source) or 4
    )
    reply = store(
        storage_bo, ProductIRISMessage(name="p", price=Decimal("1"), source="kafka:t/0/2")
    )
    assert (reply, given) == (ProductStored(route="iris", id=4), ["kafka:t/0/2"])


def test_a_locked_database_is_an_error_not_a_lost_row(
    storage_bo: LocalStorageBO, database: Path
) -> None:
    store(storage_bo, ProductSQLMessage(name="before", price=Decimal("1")))
    locker = sqlite3.connect(database, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        for message in (
            ProductSQLMessage(name="during", price=Decimal("2")),
            ProductSQLAlchemyMessage(name="during", price=Decimal("2")),
        ):
            with pytest.raises(Exception, match="database is locked"):
                store(storage_bo, message)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert store(storage_bo, ProductSQLMessage(name="after", price=Decimal("3"))).route == "sql"
    assert [name for _, name, _ in product_rows(database)] == ["before", "after"]


def test_a_job_stores_each_message_in_its_own_commit_on_the_one_connection_it_holds(
    storage_bo: LocalStorageBO, database: Path
) -> None:
    """Every row is committed when its message is answered (another client reads it), and
    the job keeps one connection for all of them, however each message ends: none is taken
    from the engine's pool again."""
    store(storage_bo, ProductSQLMessage(name="first", price=Decimal("1")))
    assert storage_bo._engine is not None
    taken: list[object] = []
    event.listen(storage_bo._engine, "checkout", lambda connection, *_: taken.append(connection))
    seen = []
    for message in (
        ProductSQLAlchemyMessage(name="second", price=Decimal("2"), source="kafka:t/0/2"),
        ProductSQLMessage(name="second", price=Decimal("2"), source="kafka:t/0/2"),
        ProductSQLMessage(name="third", price=Decimal("3")),
    ):
        store(storage_bo, message)
        seen.append([name for _, name, _ in product_rows(database)])
    assert seen == [
        ["first", "second"],
        ["first", "second"],
        ["first", "second", "third"],
    ]
    assert taken == []
    assert storage_bo._connection is not None and not storage_bo._connection.in_transaction()


def test_a_connection_the_database_dropped_is_opened_again_for_the_next_message(
    storage_bo: LocalStorageBO, database: Path
) -> None:
    store(storage_bo, ProductSQLMessage(name="before", price=Decimal("1")))
    assert storage_bo._connection is not None
    storage_bo._connection.invalidate()
    store(storage_bo, ProductSQLAlchemyMessage(name="after", price=Decimal("2")))
    assert [name for _, name, _ in product_rows(database)] == ["before", "after"]


def test_a_missing_table_is_an_error(storage_bo: LocalStorageBO, database: Path) -> None:
    store(storage_bo, ProductSQLMessage(name="a", price=Decimal("1")))
    with create_engine(f"sqlite:///{database}").begin() as connection:
        connection.execute(text("DROP TABLE product"))
    with pytest.raises(Exception, match="no such table"):
        store(storage_bo, ProductSQLMessage(name="b", price=Decimal("1")))


@pytest.mark.parametrize(
    ("classname", "body", "reason"),
    [
        (
            "kafka_demo.msg.ProductSQLMessage",
            '{"name": "' + "x" * 256 + '", "price": "1"}',
            "name must be at most 255 characters",
        ),
        (
            "kafka_demo.msg.ProductSQLAlchemyMessage",
            '{"name": "a", "price": "-1"}',
            "price must not be negative",
        ),
        (
            "kafka_demo.msg.ProductSQLMessage",
            '{"name": "a", "price": "1.001"}',
            "price must have at most 2 decimal places",
        ),
        ("kafka_demo.msg.ProductSQLMessage", '{"name": "a", "price": "abc"}', "valid decimal"),
        ("kafka_demo.msg.ProductSQLMessage", '{"price": "1"}', "name"),
    ],
)
def test_a_product_message_sent_by_hand_is_validated_again(
    storage_bo: LocalStorageBO, database: Path, classname: str, body: str, reason: str
) -> None:
    """As `iop --test --classname ... --body ...` sends it: JSON straight into an IOP.Message."""
    with pytest.raises((rules.InvalidProduct, SerializationError), match=reason):
        storage_bo._dispatch_on_message(IOPMessage.holding(classname, body))
    store(storage_bo, ProductSQLMessage(name="ok", price=Decimal("1")))
    assert [name for _, name, _ in product_rows(database)] == ["ok"]


def test_the_database_is_opened_on_first_use_so_a_bad_url_fails_only_messages(
    tmp_path: Path,
) -> None:
    bo = build_component(LocalStorageBO, connection_string=f"sqlite:///{tmp_path}/missing/dir/x.db")
    with pytest.raises(Exception, match="unable to open database file"):
        store(bo, ProductSQLMessage(name="a", price=Decimal("1")))


def test_built_with_no_production_the_operations_use_the_class_defaults() -> None:
    storage = build_component(LocalStorageBO)
    kafka = build_component(KafkaDemoBO)
    assert storage.connection_string == "iris+emb:///IRISAPP"
    assert (kafka.kafka_broker, kafka.topic, kafka.dlq_topic) == (
        "kafka:9092",
        "kafka_demo",
        "kafka_demo.dlq",
    )


def test_a_dead_letter_carries_its_reason_and_origin_as_headers() -> None:
    letter = KafkaDeadLetterMessage.for_record(
        KafkaRawMessage.from_record(
            b"\xff", RecordOrigin(topic="kafka_demo", partition=1, offset=9)
        ),
        "payload is not valid UTF-8",
    )
    assert dead_letter_headers(letter) == [
        ("dlq.reason", b"payload is not valid UTF-8"),
        ("dlq.topic", b"kafka_demo"),
        ("dlq.partition", b"1"),
        ("dlq.offset", b"9"),
    ]


def test_on_iris_the_same_table_has_an_identity_id_so_every_route_can_omit_it() -> None:
    from sqlalchemy.schema import CreateIndex, CreateTable
    from sqlalchemy_iris.base import IRISDialect

    from kafka_demo.models import PRODUCT_TABLE

    ddl = " ".join(str(CreateTable(PRODUCT_TABLE).compile(dialect=IRISDialect())).split())
    assert "CREATE TABLE product" in ddl
    assert "id IDENTITY NOT NULL" in ddl
    assert "PRIMARY KEY (id)" in ddl
    assert "name VARCHAR(255) NOT NULL" in ddl
    assert "price NUMERIC(10, 2) NOT NULL" in ddl
    assert "source VARCHAR(400)," in ddl
    index_ddl = " ".join(
        str(CreateIndex(index).compile(dialect=IRISDialect())) for index in PRODUCT_TABLE.indexes
    )
    assert index_ddl == "CREATE UNIQUE INDEX ix_product_source ON product (source)"
