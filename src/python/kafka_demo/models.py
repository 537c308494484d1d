"""The one definition of the `product` table, shared by the three storage routes.

In IRIS the table is `SQLUser.product` and its %Persistent class `User.product`
(DDL projects a table in the default schema to a class in the package User).
"""

from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SOURCE_LENGTH = 300
"""Room for `kafka:`, a topic name (at most 249 characters in Kafka), a partition and an offset."""


class Base(DeclarativeBase):
    pass


class ProductRow(Base):
    """A stored product."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    source: Mapped[str | None] = mapped_column(String(SOURCE_LENGTH), unique=True, index=True)
    """Where the product came from (`kafka:<topic>/<partition>/<offset>`), so a redelivered
    record finds its row again; NULL for an input without such coordinates. IRIS allows
    many rows with no value (NULL) in a UNIQUE field, but only one empty string
    (InterSystems SQL Reference, "Field constraint"), so an input without one stores NULL."""


ProductModel = ProductRow
"""The original demo's name for the model, so its code that imports it still runs."""

PRODUCT_TABLE = ProductRow.__table__
IRIS_PRODUCT_CLASS = f"User.{PRODUCT_TABLE.name}"
"""The %Persistent class IRIS projects from the table, used by the IRIS ORM route."""
