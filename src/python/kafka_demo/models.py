"""The one definition of the `product` table, shared by the three storage routes.

In IRIS the table is `SQLUser.product` and its %Persistent class `User.product`
(DDL projects a table in the default schema to a class in the package User).
"""

from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ProductRow(Base):
    """A stored product."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)


PRODUCT_TABLE = ProductRow.__table__
IRIS_PRODUCT_CLASS = f"User.{PRODUCT_TABLE.name}"
"""The %Persistent class IRIS projects from the table, used by the IRIS ORM route."""
