"""Both REST doors, each over a real LocalProduction storing into SQLite, in one of several states.

`open_door(state)` builds the app of the door under test (app.py or
app_standalone.py, from their own factories) with the IRIS side faked at that
door's seam, and the production in the state asked for.
"""

import enum
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, make_url, select
from sqlalchemy.orm import Session

import app_standalone
import settings
from kafka_demo import rules
from kafka_demo.defaults import (
    KAFKA_DEMO_BO,
    KAFKA_DEMO_BP,
    KAFKA_DEMO_BS,
    KAFKA_REST_BS,
    LOCAL_STORAGE_BO,
)
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.models import ProductRow
from kafka_demo.rest.iris.app import create_iris_app
from kafka_demo.rest.standalone.native_gateway import NativeSettings
from tests.support.rest_fakes import FakeDirector, FakeNativeApi

STORAGE_ROUTES = ("sql", "sqlalchemy")
NO_KAFKA = "no Kafka in the REST tests"
RESERVED_NAME = "reserved by the BP"
TEST_IRIS = NativeSettings(
    hostname="iris.test", port=51972, namespace="IRISAPP", username="tester", password="secret"
)


class State(enum.Enum):
    RUNNING = "running"
    IRIS_UNREACHABLE = "IRIS cannot be reached"
    PRODUCTION_STOPPED = "no production is running"
    BP_NOT_RUNNING = "the BP is not in the production"
    STORAGE_BROKEN = "the BO's database cannot be opened"
    BP_STRICTER = "the BP refuses a name the door's check accepts"
    TABLE_REFUSES = "the table's own CHECK refuses a price the rules accept"


TABLE_PRICE_LIMIT = 1000


@dataclass
class Door:
    kind: str
    client: FlaskClient
    production: LocalProduction
    director: FakeDirector
    database_url: str
    native: FakeNativeApi | None = None

    def requests_reaching_service(self) -> list[str]:
        """The bodies KafkaRestBS passed on to the BP, from the production's trace."""
        return [
            json.loads(hop.body)["value"]
            for hop in self.production.trace.hops
            if hop.source == KAFKA_REST_BS and hop.kind == "Request"
        ]

    def iris_calls(self) -> list[object]:
        """What reached the door's IRIS seam at all."""
        return list(self.native.calls) if self.native is not None else list(self.director.created)

    def stored_row(self, row_id: int) -> tuple[str, Decimal] | None:
        with Session(create_engine(self.database_url)) as session:
            row = session.get(ProductRow, row_id)
            return None if row is None else (row.name, row.price)

    def row_count(self) -> int:
        engine = create_engine(self.database_url)
        with Session(engine) as session:
            try:
                return session.scalar(select(func.count()).select_from(ProductRow)) or 0
            except Exception:
                return 0  # the table is created on the first store


def start_production(database_url: str, state: State) -> LocalProduction:
    skip = {KAFKA_DEMO_BS: NO_KAFKA, KAFKA_DEMO_BO: NO_KAFKA}
    if state is State.BP_NOT_RUNNING:
        skip[KAFKA_DEMO_BP] = "left out to test a production without it"
    storage_url = database_url
    if state is State.TABLE_REFUSES:
        with sqlite3.connect(make_url(database_url).database or "") as connection:
            connection.execute(
                "CREATE TABLE product (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, "
                f"price NUMERIC(10, 2) NOT NULL CHECK (price < {TABLE_PRICE_LIMIT}), "
                "source VARCHAR(400) UNIQUE)"
            )
    if state is State.STORAGE_BROKEN:
        storage_url = "sqlite:////nonexistent-directory/products.db"
    production = LocalProduction(
        settings.PRODUCTIONS[0],
        settings={
            LOCAL_STORAGE_BO: {"connection_string": storage_url},
            KAFKA_DEMO_BP: {"storage_routes": ",".join(STORAGE_ROUTES)},
        },
        skip=skip,
    )
    production.start()
    if state is State.PRODUCTION_STOPPED:
        production.stop()
    return production


def refuse_reserved_name(original: Callable[[bytes], object]) -> Callable[[bytes], object]:
    """The BP's parsing, stricter than the door's check by one name (as a newer BP might be)."""

    def stricter(raw: bytes) -> object:
        product = original(raw)
        if getattr(product, "name", None) == RESERVED_NAME:
            raise rules.InvalidProduct("name is reserved", "name")
        return product

    return stricter


@pytest.fixture(params=["iris_wsgi", "standalone"])
def door_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def open_door(
    door_kind: str, iris: IrisStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[State], Door]]:
    productions: list[LocalProduction] = []

    def build(state: State) -> Door:
        if state is State.BP_STRICTER:
            monkeypatch.setattr(
                rules, "product_from_bytes", refuse_reserved_name(rules.product_from_bytes)
            )
        database_url = f"sqlite:///{tmp_path / 'products.db'}"
        production = start_production(database_url, state)
        productions.append(production)
        director = FakeDirector(production)
        reachable = state is not State.IRIS_UNREACHABLE
        if door_kind == "iris_wsgi":
            if reachable:
                iris.add_class("IOP.Director", director)
            app = create_iris_app()
            return Door(door_kind, app.test_client(), production, director, database_url)
        native = FakeNativeApi(director, reachable=reachable)
        app = app_standalone.create_standalone_app(TEST_IRIS, api_loader=lambda: native)
        return Door(door_kind, app.test_client(), production, director, database_url, native)

    yield build
    for production in productions:
        production.stop()
