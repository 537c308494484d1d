"""The three ways of storing a product; each returns the new row's id or raises.

Raw SQL and the SQLAlchemy ORM share one engine; the IRIS ORM route goes
through the %Persistent class that IRIS projects from the same table.
"""

from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.orm import Session

from kafka_demo.iris_gateway import check_status, iris_class
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE, Base, ProductRow
from kafka_demo.product import Product

_INSERT_PRODUCT = text(
    f"INSERT INTO {PRODUCT_TABLE.name} (name, price) VALUES (:name, :price)"
).bindparams(
    # Typed parameters let each dialect bind a Decimal its own way (SQLite has no DECIMAL).
    bindparam("name", type_=PRODUCT_TABLE.c.name.type),
    bindparam("price", type_=PRODUCT_TABLE.c.price.type),
)


def open_engine(connection_string: str) -> Engine:
    """Connect to the database and make sure the `product` table exists."""
    engine = create_engine(connection_string)
    Base.metadata.create_all(engine, checkfirst=True)
    return engine


def insert_with_sql(engine: Engine, product: Product) -> int:
    """Raw SQL through SQLAlchemy `text()`."""
    with engine.begin() as connection:
        result = connection.execute(_INSERT_PRODUCT, {"name": product.name, "price": product.price})
        return int(result.lastrowid)


def insert_with_sqlalchemy(engine: Engine, product: Product) -> int:
    """The SQLAlchemy ORM model."""
    with Session(engine) as session, session.begin():
        row = ProductRow(name=product.name, price=product.price)
        session.add(row)
        session.flush()
        return row.id


def insert_with_iris_orm(product: Product) -> int:
    """The IRIS ORM: `User.product._New()`, set the properties, `_Save()`."""
    row = iris_class(IRIS_PRODUCT_CLASS)._New()
    row.name = product.name
    # UNCONFIRMED without IRIS: a %Numeric property given the Decimal's canonical text
    # ("10.50") stores that exact value; a Python float would arrive as a $DOUBLE.
    row.price = str(product.price)
    check_status(row._Save(), f"saving a {IRIS_PRODUCT_CLASS}")
    return int(row._Id())
