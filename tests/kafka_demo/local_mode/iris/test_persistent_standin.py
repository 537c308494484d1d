"""The User.product stand-in: stores what IRIS stores, refuses what IRIS refuses (%Status)."""

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer
from sqlalchemy import Column, Engine, Integer, MetaData, Numeric, String, Table

from kafka_demo import storage
from kafka_demo.bo import LocalStorageBO
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.local_mode.iris.persistent import PersistentClass
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE
from kafka_demo.msg import ProductIRISMessage, ProductStored
from kafka_demo.product import Product
from tests.support.hosts import build_component
from tests.support.storage import product_rows


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "products.db"


@pytest.fixture
def engine(database: Path) -> Engine:
    """The product table made as its store makes it; the stand-in, like IRIS's class, expects it."""
    return storage.open_engine(f"sqlite:///{database}")


@pytest.fixture
def user_product(iris: IrisStandIn, engine: Engine) -> PersistentClass:
    """The stand-in at the one seam, in place of the recording fake."""
    standin = PersistentClass(engine, PRODUCT_TABLE, IRIS_PRODUCT_CLASS)
    iris.add_class(IRIS_PRODUCT_CLASS, standin)
    return standin


def new_product(user_product: PersistentClass, **properties: Any) -> Any:
    row = user_product._New()
    for name, value in properties.items():
        setattr(row, name, value)
    return row


def test_new_objects_have_one_property_per_column_of_the_table_definition(
    user_product: PersistentClass,
) -> None:
    row = user_product._New()
    columns = {column.name for column in PRODUCT_TABLE.columns} - {"id"}
    assert {name: getattr(row, name) for name in columns} == dict.fromkeys(columns, "")
    assert row._Id() == ""
    assert row._ClassName(1) == "User.product"


def test_the_iris_orm_route_stores_into_the_same_table_as_the_other_routes(
    user_product: PersistentClass, engine: Engine, database: Path
) -> None:
    first = storage.insert_with_sql(engine, Product("by sql", Decimal("1.50")))
    second = storage.insert_with_iris_orm(engine, Product("caf\u00e9 \U0001f600", Decimal("10.50")))
    third = storage.insert_with_sqlalchemy(engine, Product("by sqlalchemy", Decimal("3")))

    assert (first, second, third) == (1, 2, 3)
    assert product_rows(database) == [
        (1, "by sql", "1.50"),
        (2, "caf\u00e9 \U0001f600", "10.50"),
        (3, "by sqlalchemy", "3.00"),
    ]


def test_the_storage_bo_answers_with_the_row_the_stand_in_saved(
    user_product: PersistentClass, database: Path
) -> None:
    bo = build_component(LocalStorageBO, connection_string=f"sqlite:///{database}")
    serial = dispatch_serializer(ProductIRISMessage(name="pear", price=Decimal("2.25")))
    reply = dispatch_deserializer(bo._dispatch_on_message(serial))
    assert reply == ProductStored(route="iris", id=1)
    assert product_rows(database) == [(1, "pear", "2.25")]


REFUSED = {
    "a missing required name": (
        {"price": "1"},
        "ERROR #5659: Property 'User.product::name(",
    ),
    "a name over MAXLEN": (
        {"name": "n" * 256, "price": "1"},
        f"ERROR #7201: Datatype value '{'n' * 256}' length longer than MAXLEN allowed of 255",
    ),
    "128 characters outside the BMP (256 16-bit characters in IRIS)": (
        {"name": "\U0001f4a9" * 128, "price": "1"},
        "length longer than MAXLEN allowed of 255 > ERROR #5802: Datatype validation failed "
        "on property 'User.product:name'",
    ),
    "a missing required price": (
        {"name": "pear"},
        "ERROR #5659: Property 'User.product::price(",
    ),
    "a price that is not a number": (
        {"name": "pear", "price": "abc"},
        "ERROR #7207: Datatype value 'abc' is not a valid number",
    ),
    "a price over DECIMAL(10,2)": (
        {"name": "pear", "price": "100000000"},
        "ERROR #7203: Datatype value '100000000' greater than MAXVAL allowed of 99999999.99",
    ),
    "a price under DECIMAL(10,2)": (
        {"name": "pear", "price": "-100000000"},
        "ERROR #7204: Datatype value '-100000000' less than MINVAL allowed of -99999999.99",
    ),
    "a price that rounds over DECIMAL(10,2)": (
        {"name": "pear", "price": "99999999.995"},
        "greater than MAXVAL allowed of 99999999.99",
    ),
}


@pytest.mark.parametrize(("properties", "error"), REFUSED.values(), ids=REFUSED.keys())
def test_what_iris_would_refuse_is_an_error_status_and_no_row(
    user_product: PersistentClass,
    iris: IrisStandIn,
    database: Path,
    properties: dict[str, Any],
    error: str,
) -> None:
    row = new_product(user_product, **properties)
    status = row._Save()

    assert status != 1
    assert error in str(status)
    with pytest.raises(RuntimeError) as raised:
        iris.check_status(status)
    assert str(raised.value).startswith("ERROR #")
    assert error in str(raised.value)
    assert row._Id() == ""
    assert product_rows(database) == []


def test_the_iris_orm_route_raises_a_datatype_refusal_as_never_storable_with_its_text(
    user_product: PersistentClass, engine: Engine
) -> None:
    """No resend can make a value fit its column: the BO answers it for a dead letter."""
    with pytest.raises(storage.NeverStorable, match="ERROR #7201: .* MAXLEN allowed of 255"):
        storage.insert_with_iris_orm(engine, Product("\U0001f4a9" * 200, Decimal("1")))


def test_what_iris_accepts_at_the_limits_is_stored(
    user_product: PersistentClass, database: Path
) -> None:
    longest = "\U0001f4a9" * 127 + "n"  # 255 16-bit characters
    saved = [
        new_product(user_product, name=longest, price="99999999.99"),
        new_product(user_product, name="n" * 255, price=Decimal("-99999999.99")),
        new_product(user_product, name="rounded", price="1.005"),
        new_product(user_product, name="a number", price=7),
    ]
    assert [row._Save() for row in saved] == [1, 1, 1, 1]
    assert [row._Id() for row in saved] == ["1", "2", "3", "4"]
    # %Numeric rounds to its SCALE instead of refusing more decimal places.
    assert product_rows(database) == [
        (1, longest, "99999999.99"),
        (2, "n" * 255, "-99999999.99"),
        (3, "rounded", "1.01"),
        (4, "a number", "7.00"),
    ]


def test_saving_again_updates_the_same_row(user_product: PersistentClass, database: Path) -> None:
    row = new_product(user_product, name="pear", price="1")
    assert row._Save() == 1
    row.price = "2.5"
    assert row._Save() == 1
    assert product_rows(database) == [(1, "pear", "2.50")]


def test_a_second_value_of_a_unique_key_is_error_5808(engine: Engine) -> None:
    keyed = Table(
        "keyed",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("code", String(20), nullable=True, unique=True),
        Column("amount", Numeric(4, 1), nullable=False),
    )
    keyed.create(engine)
    cls = PersistentClass(engine, keyed, "User.keyed")

    first = new_product(cls, code="k-1", amount="1.5")
    duplicate = new_product(cls, code="k-1", amount="2")
    without_key = [new_product(cls, amount="3"), new_product(cls, amount="4")]

    assert first._Save() == 1
    status = duplicate._Save()
    assert str(status).startswith("0 ERROR #5808: Key not unique: User.keyed:")
    assert duplicate._Id() == ""
    # Empty keys are not compared: an IRIS unique index takes any number of them.
    assert [row._Save() for row in without_key] == [1, 1]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id, code FROM keyed ORDER BY id").all() == [
            (1, "k-1"),
            (2, None),
            (3, None),
        ]


def sources(database: Path) -> list[tuple[int, str, str | None]]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT id, name, source FROM product ORDER BY id").fetchall()


def test_the_same_source_saved_again_by_the_iris_orm_gives_the_first_row(
    user_product: PersistentClass, engine: Engine, database: Path
) -> None:
    pear = Product("pear", Decimal("2.25"))
    first = storage.insert_with_iris_orm(engine, pear, "kafka:t/0/7")
    again = storage.insert_with_iris_orm(engine, pear, "kafka:t/0/7")

    assert (first, again) == (1, 1)
    assert sources(database) == [(1, "pear", "kafka:t/0/7")]


def test_a_source_stored_by_another_route_is_found_by_the_iris_orm(
    user_product: PersistentClass, engine: Engine, database: Path
) -> None:
    pear = Product("pear", Decimal("2.25"))
    by_sql = storage.insert_with_sql(engine, pear, "kafka:t/1/3")
    by_iris = storage.insert_with_iris_orm(engine, pear, "kafka:t/1/3")
    by_sqlalchemy = storage.insert_with_sqlalchemy(engine, pear, "kafka:t/1/3")

    assert (by_sql, by_iris, by_sqlalchemy) == (1, 1, 1)
    assert sources(database) == [(1, "pear", "kafka:t/1/3")]


def test_inputs_without_a_source_are_each_stored_by_the_iris_orm(
    user_product: PersistentClass, engine: Engine, database: Path
) -> None:
    pear = Product("pear", Decimal("2.25"))
    ids = [storage.insert_with_iris_orm(engine, pear) for _ in range(2)]
    assert ids == [1, 2]
    assert sources(database) == [(1, "pear", None), (2, "pear", None)]


def test_a_source_held_by_another_product_is_an_error_not_a_silent_twin(
    user_product: PersistentClass, engine: Engine, database: Path
) -> None:
    storage.insert_with_iris_orm(engine, Product("pear", Decimal("2.25")), "kafka:t/0/1")
    with pytest.raises(storage.SourceHoldsAnotherProduct, match="row 1"):
        storage.insert_with_iris_orm(engine, Product("plum", Decimal("3")), "kafka:t/0/1")
    assert sources(database) == [(1, "pear", "kafka:t/0/1")]


def test_other_refusals_with_a_source_are_raised_not_looked_up(
    user_product: PersistentClass, engine: Engine, database: Path
) -> None:
    storage.insert_with_iris_orm(engine, Product("pear", Decimal("2.25")), "kafka:t/0/1")
    with pytest.raises(storage.NeverStorable, match="ERROR #7201") as raised:
        storage.insert_with_iris_orm(engine, Product("n" * 256, Decimal("1")), "kafka:t/0/1")
    assert not isinstance(raised.value, storage.SourceHoldsAnotherProduct)
    assert sources(database) == [(1, "pear", "kafka:t/0/1")]


def test_the_duplicate_status_is_error_5808_naming_the_source_index(
    user_product: PersistentClass, iris: IrisStandIn
) -> None:
    first = new_product(user_product, name="pear", price="1", source="kafka:t/0/9")
    second = new_product(user_product, name="pear", price="1", source="kafka:t/0/9")
    assert first._Save() == 1
    status = second._Save()
    with pytest.raises(RuntimeError, match=r"^ERROR #5808: Key not unique: User\.product:\w+$"):
        iris.check_status(status)
