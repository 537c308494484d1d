"""The floors, a record's mandated work done bare, timed by pyperf (docs/performance.md)."""

import itertools
import os
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from functools import cache, partial
from typing import TYPE_CHECKING, Any, cast

import pyperf  # type: ignore[import-untyped]
from iop import BusinessOperation, BusinessProcess, BusinessService, Production, target
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from kafka_demo.local_mode.database import open_database
from kafka_demo.local_mode.iris import iris_standin
from kafka_demo.local_mode.iris.iris_kafka_service import KafkaMessage
from kafka_demo.local_mode.iris.persistent import PersistentClass
from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.trace.vocabulary import MemoryTrace
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE, Base, ProductRow
from kafka_demo.msg import KafkaRawMessage, ProductSQLMessage, ProductStored, RecordOrigin

if TYPE_CHECKING:
    import iris  # only inside IRIS; named by the annotation IoP dispatches on

DOORS = {"iop KafkaDemoBS": "kafka", "iop KafkaRestBS": "rest", "iop adapter door": "adapter"}
VALUE = b'{"name": "floor", "price": 1.5}'
PRICE = Decimal("1.50")
INSERT = text("INSERT INTO product (name, price, source) VALUES (:name, :price, :source)")
_sources = itertools.count()
_FOLDER = tempfile.TemporaryDirectory(prefix="kafka-demo-floor-")  # deleted when the process ends


def source() -> str:
    """A unique source as long as a Kafka record's, so the unique index does its work."""
    uuid = f"00000000-0000-4000-8000-{os.getpid():012d}"
    return f"kafka:floor-cluster/floor/{uuid}/0/{next(_sources)}"


@cache
def held_connection(durability: str) -> Connection:
    """A connection on a fresh file, opened as the local mode opens its database."""
    path = os.path.join(_FOLDER.name, f"floor-{durability}.db")
    engine = open_database(f"sqlite:///{path}", durability)  # type: ignore[arg-type]  # a choice
    Base.metadata.create_all(engine)
    return engine.connect()


def write_sql(connection: Connection) -> None:
    with connection.begin():
        connection.execute(INSERT, {"name": "floor", "price": str(PRICE), "source": source()})


def write_sqlalchemy(connection: Connection) -> None:
    with Session(connection) as session:
        session.add(ProductRow(name="floor", price=PRICE, source=source()))
        session.commit()


def write_iris(product_class: PersistentClass) -> None:
    row: Any = product_class._New()
    row.name = "floor"
    row.price = str(PRICE)
    row.source = source()
    row._Save()


class NoopBS(BusinessService):
    Output = target("Floor.BP")

    def on_process_input(self, request: Any = None) -> Any:
        message = KafkaRawMessage.from_record(
            VALUE, RecordOrigin(topic="floor", partition=0, offset=1)
        )
        if request == "rest":
            return self.send_request_sync(self.Output, KafkaRawMessage(value=VALUE))
        self.send_request_async(self.Output, message)
        return None


class NoopBP(BusinessProcess):
    Storage = target("Floor.BO")

    def on_kafka_raw_message(self, request: KafkaRawMessage) -> Any:
        return self.send_request_sync(self.Storage, ProductSQLMessage(name="floor", price=PRICE))

    def on_iris_kafka_message(self, request: "iris.EnsLib.Kafka.Message") -> Any:  # as KafkaDemoBP
        return self.send_request_sync(self.Storage, ProductSQLMessage(name="floor", price=PRICE))


class NoopBO(BusinessOperation):
    def on_product_sql_message(self, request: ProductSQLMessage) -> ProductStored:
        return ProductStored(route="sql", id=1)


@cache
def noop_chain() -> LocalProduction:
    iris_standin.install(iris_standin.IrisStandIn())
    production = Production("Floor.Production")
    bs = production.service("Floor.BS", NoopBS)
    bp = production.process("Floor.BP", NoopBP)
    bs.connect(NoopBS.Output, bp)
    bp.connect(NoopBP.Storage, production.operation("Floor.BO", NoopBO))
    local = LocalProduction(production, trace=MemoryTrace())
    local.start()
    return local


def one_record(door: str) -> Callable[[], Any]:
    chain = noop_chain()
    if door == "adapter":
        return lambda: chain.deliver(
            "Floor.Adapter", "Floor.BP", KafkaMessage("floor", VALUE.decode(), ""), sync=False
        )
    return lambda: chain.process_input("Floor.BS", door)


def timed(setup: Callable[[], Callable[[], Any]]) -> Callable[[int], float]:
    """pyperf's time function: `loops` calls of what `setup` returns; a failed chain stops it."""

    def run(loops: int) -> float:
        call = setup()
        started = time.perf_counter()
        for _ in range(loops):
            call()
        elapsed = time.perf_counter() - started
        if noop_chain.cache_info().currsize:
            trace = cast(MemoryTrace, noop_chain().trace)
            if errors := [hop.error for hop in trace.hops if hop.status == "Error"]:
                raise RuntimeError(f"the no-op chain failed: {errors[0]}")
        return elapsed

    return run


@cache
def iris_product_class(durability: str) -> PersistentClass:
    return PersistentClass(held_connection(durability).engine, PRODUCT_TABLE, IRIS_PRODUCT_CLASS)


def main() -> None:
    runner = pyperf.Runner(
        add_cmdline_args=lambda cmd, args: cmd.extend(["--durability", args.durability])
    )
    runner.argparser.add_argument("--durability", choices=("normal", "full"), default="normal")
    durability = runner.parse_args().durability
    runner.metadata["durability"] = durability
    writes = {
        "write sql": lambda: partial(write_sql, held_connection(durability)),
        "write sqlalchemy": lambda: partial(write_sqlalchemy, held_connection(durability)),
        "write iris": lambda: partial(write_iris, iris_product_class(durability)),
    }
    doors = {name: partial(one_record, door) for name, door in DOORS.items()}
    for name, setup in (writes | doors).items():
        runner.bench_time_func(name, timed(setup))


if __name__ == "__main__":
    main()
