"""Hostile names stored verbatim through every storage route and every door; the table intact."""

import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from kafka_demo import storage
from kafka_demo.defaults import TOPIC
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.local_mode.iris.persistent import PersistentClass
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE
from kafka_demo.product import Product
from tests.reliability.support import (
    PacedProducer,
    figures,
    wait_until,
)
from tests.support.brokers import BROKER_KINDS, Broker
from tests.support.doors import Door, State
from tests.support.local_process import LocalProcess, http
from tests.support.storage import stored_names, table_names

HOSTILE_NAMES = [
    "'; DROP TABLE product; --",
    "Robert'); DROP TABLE product;--",
    '" OR "1"="1',
    "' OR '1'='1' /*",
    "`backticks` and \\backslashes\\ and %s %d {0} {name} $1 ?",
    "NUL\x00inside",
    "bell\x07 escape\x1b[31mred\x1b[0m delete\x7f",
    "tab\tnewline\ncarriage\rreturn",
    "\u2028line and paragraph\u2029separators",
    "emoji \U0001f600 math \U0001d573 rare CJK \U0002070e",
    "right-to-left \u202eoverride\u202c and zero\u200bwidth",
    "<script>alert('x')</script>&amp;",
    " leading and trailing spaces ",
    # The longest name IRIS's VARCHAR(255) holds in 16-bit characters: 127 pairs and one more.
    "\U0001f4a9" * 127 + "!",
]


def assert_intact(db_path: Path) -> None:
    assert {"product", "iris_global"} <= table_names(db_path)
    assert "message_trace" in table_names(db_path.with_name(f"{db_path.stem}.trace.db"))


def test_hostile_names_are_stored_verbatim_by_every_route(
    tmp_path: Path, iris: IrisStandIn
) -> None:
    engine = storage.open_engine(f"sqlite:///{tmp_path / 'routes.db'}")
    # The User.product stand-in: the IRIS ORM route stores into the same table.
    iris.add_class(IRIS_PRODUCT_CLASS, PersistentClass(engine, PRODUCT_TABLE, IRIS_PRODUCT_CLASS))
    for name in HOSTILE_NAMES:
        product = Product(name=name, price=Decimal("1.25"))
        for insert in (
            storage.insert_with_sql,
            storage.insert_with_sqlalchemy,
            storage.insert_with_iris_orm,
        ):
            insert(engine, product)
    engine.dispose()
    stored = stored_names(tmp_path / "routes.db")

    figures(
        "HOSTILE routes=sql,sqlalchemy,iris", names=len(HOSTILE_NAMES), rows=sum(stored.values())
    )
    assert stored == Counter({name: 3 for name in HOSTILE_NAMES})


@pytest.mark.parametrize("door_kind", ["iris_wsgi", "standalone"])
def test_hostile_names_are_stored_verbatim_through_both_rest_doors(
    open_door: Callable[[State], Door], door_kind: str
) -> None:
    door = open_door(State.RUNNING)
    answers = [door.client.post("/kafka", json={"name": n, "price": 2}) for n in HOSTILE_NAMES]
    assert [answer.status_code for answer in answers] == [200] * len(HOSTILE_NAMES)
    rows = [door.stored_row(answer.get_json()["id"]) for answer in answers]

    figures(f"HOSTILE door={door_kind}", names=len(HOSTILE_NAMES), rows=door.row_count())
    assert rows == [(name, Decimal("2.00")) for name in HOSTILE_NAMES]
    assert door.row_count() == len(HOSTILE_NAMES)


@pytest.mark.parametrize("broker", BROKER_KINDS, indirect=True)
def test_hostile_names_are_stored_verbatim_through_gunicorn_and_kafka(
    broker: Broker, db_path: Path, start_local: Callable[[], LocalProcess]
) -> None:
    runtime = start_local()
    statuses = [
        http("POST", f"{runtime.url}/kafka", {"name": name, "price": 3})[0]
        for name in HOSTILE_NAMES
    ]
    raw_utf8 = [
        json.dumps({"name": name, "price": 4}, ensure_ascii=False).encode()
        for name in HOSTILE_NAMES
    ]
    escaped = [json.dumps({"name": name, "price": 4}).encode() for name in HOSTILE_NAMES]
    PacedProducer(broker.bootstrap, TOPIC, raw_utf8 + escaped, rate=1_000).start().join(30)
    expected = Counter({name: 3 for name in HOSTILE_NAMES})
    wait_until(lambda: sum(stored_names(db_path).values()) >= expected.total(), 60)
    stored = stored_names(db_path)
    runtime.stop()

    figures("HOSTILE door=gunicorn+kafka", names=len(HOSTILE_NAMES), rows=stored.total())
    assert statuses == [200] * len(HOSTILE_NAMES)
    assert stored == expected
    assert_intact(db_path)
