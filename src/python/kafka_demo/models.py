"""The one definition of the `product` table, shared by the three storage routes.

In IRIS the table is `SQLUser.product` and its %Persistent class `User.product`
(DDL projects a table in the default schema to a class in the package User).
"""

from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SOURCE_LENGTH = 400
"""Room for the longest source key (rules.kafka_source): `kafka:`, a cluster id (at most 71
characters as written), a topic name (at most 249 in Kafka), a topic id (36), a partition
(10 digits) and an offset (19), with their separators: 395; or `kafka-key:`, the topic, a key
of at most 71 characters as written (64 literal, or `sha256:` and 64 hex digits) and the value's
digest (64), with theirs: 396. Short of IRIS's 511-character limit on a global reference,
which the unique index's subscript must fit (docs "General System Limits", GORIENT_appx_limits)."""


class Base(DeclarativeBase):
    pass


class ProductRow(Base):
    """A stored product."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    source: Mapped[str | None] = mapped_column(String(SOURCE_LENGTH), unique=True, index=True)
    """Where the product came from (rules.kafka_source: a Kafka record's topic, key and value
    digest, or its log and offset), so a record read again finds its row; NULL for an input
    without one. IRIS allows many rows with no value (NULL) in a UNIQUE field, but only one
    empty string (InterSystems SQL Reference, "Field constraint"), so an input without one
    stores NULL."""


ProductModel = ProductRow
"""The original demo's name for the model, so its code that imports it still runs."""

PRODUCT_TABLE = Base.metadata.tables[ProductRow.__tablename__]
IRIS_PRODUCT_CLASS = f"User.{PRODUCT_TABLE.name}"
"""The %Persistent class IRIS projects from the table, used by the IRIS ORM route."""
