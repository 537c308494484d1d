"""The three ways of storing a product; each returns the row's id or raises.

Raw SQL and the SQLAlchemy ORM share one engine; the IRIS ORM route goes
through the %Persistent class that IRIS projects from the same table.

Storing is idempotent by `source`: a product whose source is already stored
(a Kafka record delivered again after a crash) adds no row, and the answer is
the id of the row that holds it. An empty source (an input without a key)
always adds a row. A product the table refuses for good raises NeverStorable;
any other failure raises the driver's error. The insert comes first and the lookup only
after it failed: a new record, the usual case, costs one statement; and a
lookup first would still need the unique violation handled, for a twin stored
between the lookup and the insert.

Each route takes an Engine or a Connection. LocalStorageBO gives each of its jobs one
Connection, held for the job's life as an IRIS job holds its process: a message then
costs its one transaction, begun and committed on it, and no checkout from the pool,
no new Connection object and no reset on the way back.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import cast

from sqlalchemy import Connection, Engine, bindparam, create_engine, inspect, text
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from kafka_demo.iris_gateway import check_status, iris_class
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE, SOURCE_LENGTH, Base, ProductRow
from kafka_demo.product import Product

_INSERT_SQL = (
    f"INSERT INTO {PRODUCT_TABLE.name} (name, price, source) VALUES (:name, :price, :source)"
)
_PRODUCT_PARAMETERS = (
    # Typed parameters let each dialect bind a Decimal its own way (SQLite has no DECIMAL).
    bindparam("name", type_=PRODUCT_TABLE.c.name.type),
    bindparam("price", type_=PRODUCT_TABLE.c.price.type),
    bindparam("source", type_=PRODUCT_TABLE.c.source.type),
)
_INSERT_PRODUCT = text(_INSERT_SQL).bindparams(*_PRODUCT_PARAMETERS)

_INSERT_PRODUCT_RETURNING_ID = text(f"{_INSERT_SQL} RETURNING id").bindparams(*_PRODUCT_PARAMETERS)
"""For a driver whose cursor has no row id to give (psycopg's lastrowid is the row's OID,
which PostgreSQL tables do not have): the id comes back with the insert, in the same round
trip."""

_ROW_OF_SOURCE = text(f"SELECT id, name, price FROM {PRODUCT_TABLE.name} WHERE source = :source")
_CENT = Decimal("0.01")


def open_engine(connection_string: str) -> Engine:
    """Connect to the database and make sure the `product` table exists, `source` included."""
    engine = create_engine(connection_string)
    create_product_table(engine)
    return engine


def create_product_table(engine: Engine) -> None:
    """The `product` table, made when its store opens (here, and the local mode's database);
    in IRIS, DDL projects it to the %Persistent class `User.product`."""
    Base.metadata.create_all(engine, checkfirst=True)
    _add_source_column_if_missing(engine)


def _add_source_column_if_missing(engine: Engine) -> None:
    """A table made before `source` existed gets it (ALTER TABLE ... ADD COLUMN and CREATE
    INDEX are both in the InterSystems SQL Reference, and in SQLite's)."""
    columns = {column["name"].lower() for column in inspect(engine).get_columns(PRODUCT_TABLE.name)}
    if "source" in columns:
        return
    with engine.begin() as connection:
        connection.execute(
            text(f"ALTER TABLE {PRODUCT_TABLE.name} ADD COLUMN source VARCHAR({SOURCE_LENGTH})")
        )
        for index in PRODUCT_TABLE.indexes:
            index.create(connection)


Database = Engine | Connection
"""Where a route stores: an Engine (a connection from its pool per call) or a Connection."""


@contextmanager
def transaction(database: Database) -> Iterator[Connection]:
    """One transaction, committed on success and rolled back on error, on `database`."""
    if isinstance(database, Engine):
        with database.begin() as connection:
            yield connection
    else:
        with database.begin():
            yield database


def insert_with_sql(database: Database, product: Product, source: str = "") -> int:
    """Raw SQL through SQLAlchemy `text()`."""

    def insert() -> int:
        with transaction(database) as connection:
            values = {"name": product.name, "price": product.price, "source": source or None}
            if cast(DefaultDialect, connection.dialect).postfetch_lastrowid:
                return int(connection.execute(_INSERT_PRODUCT, values).lastrowid)
            return int(connection.execute(_INSERT_PRODUCT_RETURNING_ID, values).scalar_one())

    return _stored_once(database, product, source, insert)


def insert_with_sqlalchemy(database: Database, product: Product, source: str = "") -> int:
    """The SQLAlchemy ORM model, one session per message. On a Connection, the session begins
    and commits the connection's own transaction. The row is not used after the commit, so
    the commit does not expire it (expire_on_commit=False): its id is read after the flush."""

    def insert() -> int:
        with Session(database, expire_on_commit=False) as session, session.begin():
            row = ProductRow(name=product.name, price=product.price, source=source or None)
            session.add(row)
            session.flush()
            return row.id

    return _stored_once(database, product, source, insert)


class NeverStorable(ValueError):
    """The table refuses this product for good: it breaks a constraint of the table, holds a
    value a column cannot take, or its source is stored with another product. Sending it again
    would fail again, so it is not left as an error for replay. Any other failure (the database
    unreachable, locked, out of space) may pass, and stays an error."""


class SourceHoldsAnotherProduct(NeverStorable):
    """The source is stored already, with another product: not the same record read again.
    Kafka sources name a record's value, so only a row written by other means (by hand, or
    before the value was part of the source) can hold one."""


PERMANENT_DATABASE_ERRORS = (IntegrityError, DataError)
"""The DB-API's classes for a refused row: a constraint broken, a value out of its column's
range or length (PEP 249). Whether IRIS's drivers raise these for SQLCODE -104 (a field's
validation failed) is not checked here, where no IRIS runs."""


def _stored_once(
    database: Database, product: Product, source: str, insert: Callable[[], int]
) -> int:
    """Run `insert`; if it fails and a row already holds `source`, that row's id.

    Whatever error class the driver gives a unique violation (sqlalchemy-iris's
    intersystems driver maps SQLCODE -119 to IntegrityError; IRIS's embedded DB-API
    is not checked here), the lookup decides: with no row holding the source, the
    insert's own error is raised, as NeverStorable when the table refused the row.
    """
    try:
        return insert()
    except (DBAPIError, KeyNotUnique) as error:
        stored = _row_of_source(database, source) if source else None
        if stored is None:
            if isinstance(error, PERMANENT_DATABASE_ERRORS):
                raise NeverStorable(f"the table refuses the product: {_cause(error)}") from error
            raise
        row_id, name, price = stored
        if (name, price) != (product.name, product.price):
            raise SourceHoldsAnotherProduct(
                f"{source} is stored already as row {row_id} with another product "
                f"({name!r}, {price})"
            ) from error
        return row_id


def _cause(error: DBAPIError) -> str:
    """The driver's own message, on one line, without SQLAlchemy's copy of the statement."""
    return " ".join(str(error.orig).split())


def _row_of_source(database: Database, source: str) -> tuple[int, str, Decimal] | None:
    """The id, name and price of the row that holds `source`, or None; read in a transaction
    of its own, so a held Connection is left with none open."""
    with transaction(database) as connection:
        row = connection.execute(_ROW_OF_SOURCE, {"source": source}).first()
    if row is None:
        return None
    # By position, whatever case a driver gives the labels. Read raw: SQLite keeps a NUMERIC
    # as a float, so the price is brought back to cents here.
    row_id, name, price = row
    return int(row_id), name, Decimal(str(price)).quantize(_CENT)


KEY_NOT_UNIQUE = "ERROR #5808"
"""The %Status of a %Save that would repeat a unique key: "ERROR #5808: Key not unique:
<class>:<index>:<global reference>" (docs "Using Document Database", GDOCDB: a duplicate
value for a unique key "generates an ERROR #5808"; public %Save transcripts show the text)."""


DATATYPE_REFUSED = re.compile(r"ERROR #(5659|5802|72\d\d):")
"""The %Status of a %Save that the row's own values fail, which no resend can fix: a required
property empty (#5659), a datatype's validation (#5802, with its cause: #7201 longer than
MAXLEN, #7203 above MAXVAL, #7207 not a number...; the sources are in
kafka_demo/local_mode/iris/persistent.py). UNCONFIRMED without IRIS: that every code of the
7200s is a datatype's refusal. Any other failed %Save stays an error."""


class KeyNotUnique(RuntimeError):
    """A %Save failed with ERROR #5808: a unique index (that of `source`) holds its key."""


def insert_with_iris_orm(database: Database, product: Product, source: str = "") -> int:
    """The IRIS ORM: `User.product._New()`, set the properties, `_Save()`.

    Idempotent as the other routes: the save comes first; only when its %Status is
    ERROR #5808 is the row that holds the source looked up, by SQL on the same table
    (`database`), since the name IRIS gives the index of a DDL UNIQUE column, and so its
    generated `<index>Open()`, is not documented.
    """

    def insert() -> int:
        row = iris_class(IRIS_PRODUCT_CLASS)._New()
        row.name = product.name
        # UNCONFIRMED without IRIS: a %Numeric property given the Decimal's canonical text
        # ("10.50") stores that exact value; a Python float would arrive as a $DOUBLE.
        row.price = str(product.price)
        if source:
            row.source = source
        status = row._Save()
        try:
            check_status(status, f"saving a {IRIS_PRODUCT_CLASS}")
        except Exception as error:
            # iris.check_status raises with the status's text (docs GEPYTHON_reference_core);
            # the class of what it raises is not documented.
            if source and KEY_NOT_UNIQUE in str(error):
                raise KeyNotUnique(str(error)) from error
            if DATATYPE_REFUSED.search(str(error)):
                raise NeverStorable(f"the table refuses the product: {error}") from error
            raise
        return int(row._Id())

    return _stored_once(database, product, source, insert)
