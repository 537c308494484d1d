"""The product, as the business rules define it; free of IoP so every door can use it."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Product:
    """A validated product: a non-blank name and a price with at most 2 decimals."""

    name: str
    price: Decimal
