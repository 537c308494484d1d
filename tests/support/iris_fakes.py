"""Recording fakes for the IRIS classes that only IRIS has, installed at the one seam."""

from decimal import Decimal
from typing import Any

from kafka_demo.defaults import TOPIC
from kafka_demo.local_mode.iris.iris_standin import IrisObject


class SavedProduct:
    """A `User.product` object: properties set by the caller, `_Save()` records it."""

    def __init__(self, table: "ProductClass") -> None:
        self._table = table
        self.name: Any = None
        self.price: Any = None
        self.source: Any = None  # a property never set stays empty, as in IRIS
        self._id: int | None = None

    def _Save(self) -> Any:  # noqa: N802 (IRIS method name)
        return self._table.save(self)

    def _Id(self) -> str:  # noqa: N802
        return "" if self._id is None else str(self._id)


class ProductClass:
    """`iris.cls("User.product")`: keeps what `_Save()` stored, or fails it on demand."""

    def __init__(self) -> None:
        self.saved: list[tuple[int, str, Decimal]] = []
        self.sources: list[Any] = []
        """The `source` of each saved row, in the order of `saved`."""
        self.failure: str | None = None

    def _New(self) -> SavedProduct:  # noqa: N802
        return SavedProduct(self)

    def save(self, row: SavedProduct) -> Any:
        if self.failure is not None:
            return f"0 {self.failure}"  # an error %Status, as check_status sees it
        row._id = len(self.saved) + 1
        self.saved.append((row._id, row.name, Decimal(row.price)))
        self.sources.append(row.source)
        return 1


class IrisKafkaMessage(IrisObject):
    """An EnsLib.Kafka.Message as IRIS's Kafka adapter hands it over: `value` is a string."""

    iris_classname = "EnsLib.Kafka.Message"

    def __init__(self, value: str, topic: str = TOPIC) -> None:
        self.value = value
        self.topic = topic
        self.binaryValue = None
