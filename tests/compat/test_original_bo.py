"""The calls of the original demo's tests/kafka_demo/test_bo.py, with their effects asserted.

The original points KafkaDemoBO at a broker on localhost and LocalStorageBO at
IRIS; here the broker is Tansu and the database SQLite, the IRIS ORM route's
User.product the recording stand-in at the one IRIS seam.
"""

import json
import random
import string
from decimal import Decimal
from pathlib import Path

import pytest

from kafka_demo import rules
from kafka_demo.bo import KafkaDemoBO, LocalStorageBO
from kafka_demo.msg import KafkaTestMessage, ProductIRISMessage, ProductMessage, ProductSQLMessage
from tests.support.iris_fakes import ProductClass
from tests.support.kafka import read_topic
from tests.support.storage import stored_rows


@pytest.fixture
def kafka_demo_bo(kafka_bootstrap: str, topics: dict[str, str]) -> KafkaDemoBO:
    kafka_demo_bo = KafkaDemoBO()
    kafka_demo_bo.kafka_broker = [kafka_bootstrap]
    kafka_demo_bo.topic = topics["topic"]
    kafka_demo_bo.on_init()
    yield kafka_demo_bo
    kafka_demo_bo.on_tear_down()


def random_name(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


class TestKafkaDemoBo:
    def test_on_kafka_message(
        self, kafka_demo_bo: KafkaDemoBO, kafka_bootstrap: str, topics: dict[str, str]
    ) -> None:
        kafka_demo_bo.on_kafka_test_message(KafkaTestMessage(name="test", price=1.0))
        records = read_topic(kafka_bootstrap, topics["topic"], expected=1)
        assert [json.loads(record.value) for record in records] == [{"name": "test", "price": 1.0}]

    def test_run_10_kafka_messages(
        self, kafka_demo_bo: KafkaDemoBO, kafka_bootstrap: str, topics: dict[str, str]
    ) -> None:
        """The original's prices are float(random.random()); a price to the cent goes out."""
        rng = random.Random(11)
        sent = [(random_name(rng), round(rng.random(), 2)) for _ in range(10)]
        for name, price in sent:
            kafka_demo_bo.on_kafka_test_message(KafkaTestMessage(name=name, price=price))
        records = read_topic(kafka_bootstrap, topics["topic"], expected=10)
        bodies = [json.loads(record.value) for record in records]
        assert sorted((body["name"], body["price"]) for body in bodies) == sorted(sent)

    def test_a_price_below_the_cent_is_refused_and_not_sent(
        self, kafka_demo_bo: KafkaDemoBO, kafka_bootstrap: str, topics: dict[str, str]
    ) -> None:
        """float(random.random()) itself: the product table keeps cents (DECIMAL(10, 2)), so
        such a price is an error on its message rather than a value rounded out of sight."""
        with pytest.raises(rules.InvalidProduct, match="price must have at most 2 decimal places"):
            kafka_demo_bo.on_kafka_test_message(
                KafkaTestMessage(name="below a cent", price=0.123456789)
            )
        kafka_demo_bo.on_kafka_test_message(KafkaTestMessage(name="after", price=1.0))
        records = read_topic(kafka_bootstrap, topics["topic"], expected=2, timeout=3.0)
        assert [json.loads(record.value)["name"] for record in records] == ["after"]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "products.db"


@pytest.fixture
def local_storage_bo(database: Path) -> LocalStorageBO:
    local_storage_bo = LocalStorageBO()
    local_storage_bo.connection_string = f"sqlite:///{database}"
    local_storage_bo.on_init()
    yield local_storage_bo
    local_storage_bo.on_tear_down()


class TestLocalStorageBo:
    def test_on_product_message(self, local_storage_bo: LocalStorageBO, database: Path) -> None:
        local_storage_bo.on_product_message(ProductMessage(name="test", price=1.0))
        assert stored_rows(database) == [("test", "1.00")]

    def test_on_product_sql_message(self, local_storage_bo: LocalStorageBO, database: Path) -> None:
        local_storage_bo.on_product_sql_message(ProductSQLMessage(name="test", price=1.0))
        assert stored_rows(database) == [("test", "1.00")]

    def test_on_product_iris_message(
        self, local_storage_bo: LocalStorageBO, product_class: ProductClass
    ) -> None:
        local_storage_bo.on_product_iris_message(ProductIRISMessage(name="test", price=1.0))
        assert product_class.saved == [(1, "test", Decimal("1.0"))]

    def test_a_float_price_in_cents_is_stored_to_the_cent(
        self, local_storage_bo: LocalStorageBO, database: Path
    ) -> None:
        """The original builds messages with float prices; 19.99 is no binary fraction."""
        local_storage_bo.on_product_sql_message(ProductSQLMessage(name="cents", price=19.99))
        assert stored_rows(database) == [("cents", "19.99")]
