"""The local mode's databases: IRIS's durability by default, the trace in a file of its own."""

from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine

from kafka_demo.defaults import LOCAL_STORAGE_BO
from kafka_demo.local_mode.config import Durability, LocalConfig
from kafka_demo.local_mode.database import open_database, trace_url
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.local_mode.trace.queries import last_sessions
from tests.support.local_process import LocalProcess, http, kafka_demo
from tests.support.local_runtime import hand_over

NORMAL, FULL = 1, 2  # what `PRAGMA synchronous` answers


def pragmas(database: Engine | Connection) -> tuple[str, int]:
    """Those of a connection of the engine, or of the connection given (LocalStorageBO's)."""
    if isinstance(database, Engine):
        with database.connect() as connection:
            return pragmas(connection)
    journal = database.exec_driver_sql("PRAGMA journal_mode").scalar()
    synchronous = database.exec_driver_sql("PRAGMA synchronous").scalar()
    database.rollback()  # the PRAGMAs began a transaction: the job's connection is left without
    return str(journal), int(synchronous)


@pytest.mark.parametrize(("durability", "synchronous"), [("normal", NORMAL), ("full", FULL)])
def test_every_engine_on_the_local_database_commits_with_its_durability(
    durability: Durability, synchronous: int, tmp_path: Path
) -> None:
    """LocalStorageBO opens its own engine from its connection string: it commits the same way."""
    url = f"sqlite:///{tmp_path / 'kafka_demo.db'}"
    assert pragmas(open_database(url, durability)) == ("wal", synchronous)
    assert pragmas(create_engine(url)) == ("wal", synchronous)


def test_another_sqlite_file_keeps_sqlites_own_default(tmp_path: Path) -> None:
    open_database(f"sqlite:///{tmp_path / 'kafka_demo.db'}")
    assert pragmas(create_engine(f"sqlite:///{tmp_path / 'other.db'}")) == ("delete", FULL)


@pytest.mark.parametrize(("durability", "synchronous"), [("normal", NORMAL), ("full", FULL)])
def test_the_runtime_stores_and_traces_with_the_durability_it_is_given(
    durability: Durability, synchronous: int, tmp_path: Path
) -> None:
    path = tmp_path / "products.db"
    config = LocalConfig(db_url=f"sqlite:///{path}", durability=durability)
    runtime = LocalRuntime(config, poll=False)
    production = runtime.start()
    try:
        hand_over(runtime, b'{"name": "durable", "price": 1}', 0)
        storage_connection = production.component(LOCAL_STORAGE_BO)._database()
        engines = {
            "products": runtime.engine,
            "trace": runtime.trace_engine,
            "BO": storage_connection,
        }
        assert {name: pragmas(e) for name, e in engines.items()} == {
            name: ("wal", synchronous) for name in engines
        }
    finally:
        runtime.stop()


def test_the_trace_is_a_file_of_its_own_beside_the_products(tmp_path: Path) -> None:
    path = tmp_path / "products.db"
    runtime = LocalRuntime(LocalConfig(db_url=f"sqlite:///{path}"), poll=False)
    runtime.start()
    hand_over(runtime, b'{"name": "traced", "price": 1}', 0)
    runtime.stop()

    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["products.db", "products.trace.db"]
    trace = create_engine(f"sqlite:///{tmp_path / 'products.trace.db'}")
    assert [hop.target for hop in last_sessions(trace, 1)[0].hops][:2] == [
        "Python.KafkaDemoBP",
        "Python.LocalStorageBO",
    ]
    with create_engine(f"sqlite:///{path}").connect() as products:
        tables = products.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
        assert "message_trace" not in set(tables.scalars())

    result = kafka_demo("trace", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert "KafkaDemoBS -> KafkaDemoBP" in result.stdout
    listed = kafka_demo("products", "--db", str(path)).stdout.splitlines()
    assert listed[2].split()[1:3] in (
        ["sql", "traced"],
        ["iris", "traced"],
        ["sqlalchemy", "traced"],
    )


@pytest.mark.parametrize(
    ("products", "trace"),
    [
        ("sqlite:////data/products.db", "sqlite:////data/products.trace.db"),
        ("sqlite:////data/kafka_demo", "sqlite:////data/kafka_demo.trace.db"),
        ("sqlite:////data/shop.sqlite", "sqlite:////data/shop.sqlite.trace.db"),
        ("sqlite://", "sqlite://"),
        ("postgresql://u:p@db/shop", "postgresql://u:p@db/shop"),
    ],
)
def test_the_trace_is_found_from_the_products_database(products: str, trace: str) -> None:
    assert trace_url(products) == trace


def test_durability_takes_only_normal_or_full() -> None:
    result = kafka_demo("local", "--durability", "off")
    assert result.returncode == 2
    assert "argument --durability: invalid choice: 'off' (choose from" in result.stderr


def test_kafka_demo_local_runs_the_pool_size_it_is_given(db_url: str, tmp_path: Path) -> None:
    """Two jobs each for the BP and the storing BO, both storing what the door sends at once."""
    local = LocalProcess(
        db_url, tmp_path / "pool.log", options=("--pool-size", "2", "--durability", "full")
    )
    local.start(timeout=60)
    try:
        answers = [
            http("POST", f"{local.url}/kafka", {"name": f"p{i}", "price": 1}) for i in range(3)
        ]
    finally:
        assert local.stop() == 0
    assert [status for status, _ in answers] == [200, 200, 200]
    log = local.log_path.read_text()
    assert "started Python.KafkaDemoBP (Python.KafkaDemoBP), 2 jobs" in log
    assert "started Python.LocalStorageBO (Python.LocalStorageBO), 2 jobs" in log
    assert "started Python.KafkaDemoBO (Python.KafkaDemoBO)\n" in log.replace("\r", "")
