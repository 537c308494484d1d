"""The benchmark's floors do the mandated work, and its readings of wrk and py-spy hold.

The fair bare handler (misc/bench/bare_app.py) is the REST door's floor: it must apply
the same rules and store every valid product by one of the three routes, through the
same libraries, or the door would be compared with less work than it does.
"""

import importlib
import random
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from kafka_demo import rules

BENCH = Path(__file__).resolve().parents[2] / "misc" / "bench"
sys.path.append(str(BENCH))  # after every other place, so no bench module shadows one

import harness  # noqa: E402 (misc/bench is not a package)
import report  # noqa: E402


@pytest.fixture
def bare_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("BENCH_DB_URL", f"sqlite:///{tmp_path / 'bare.db'}")
    sys.modules.pop("bare_app", None)
    module = importlib.import_module("bare_app")
    yield module
    module._engine.dispose()
    sys.modules.pop("bare_app", None)


def stored_rows(bare_app: ModuleType) -> list[tuple[str, str]]:
    path = bare_app._engine.url.database
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT name, price FROM product ORDER BY id").fetchall()


def test_bare_handler_stores_each_valid_product_by_one_of_the_three_routes(
    bare_app: ModuleType,
) -> None:
    random.seed(28)
    client = bare_app.app.test_client()
    answers = [client.post("/kafka", json={"name": f"apple {i}", "price": 10.5}) for i in range(30)]
    assert [answer.status_code for answer in answers] == [200] * 30
    routes = Counter(answer.get_json()["route"] for answer in answers)
    assert set(routes) == set(rules.ALL_ROUTES)
    ids = [answer.get_json()["id"] for answer in answers]
    assert len(set(ids)) == 30
    rows = stored_rows(bare_app)
    assert [name for name, _ in rows] == [f"apple {i}" for i in range(30)]
    assert {float(price) for _, price in rows} == {10.5}


def test_bare_handler_refuses_what_the_rules_refuse_and_stores_nothing(
    bare_app: ModuleType,
) -> None:
    client = bare_app.app.test_client()
    answer = client.post("/kafka", json={"name": "apple", "price": -1.234})
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "price"
    assert client.post("/kafka", data=b"not json").status_code == 400
    assert stored_rows(bare_app) == []


WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:5000
  1 threads and 4 connections
  1800 requests in 2.00s, 300.00KB read
Requests/sec:    899.12
Transfer/sec:    150.00KB
{"p50_ms": 1.230, "p99_ms": 0.850, "requests_per_s": 899.12, "failed": %d}
"""


def test_wrk_report_gives_rate_and_latencies_in_ms() -> None:
    assert harness.read_wrk(WRK_OUTPUT % 0) == {
        "p50_ms": 1.23,
        "p99_ms": 0.85,
        "requests_per_s": 899.12,
    }


def test_wrk_report_with_failed_requests_fails_the_load() -> None:
    with pytest.raises(RuntimeError, match="failed requests"):
        harness.read_wrk(WRK_OUTPUT % 3)


def test_flame_graph_parts_sum_their_functions_frames(tmp_path: Path) -> None:
    svg = tmp_path / "flame.svg"
    svg.write_text(
        "<svg><title>all (100 samples, 100%)</title>"
        "<title>insert_with_sql (kafka_demo/storage.py:90) (20 samples, 20.00%)</title>"
        "<title>insert_with_sqlalchemy (kafka_demo/storage.py:105) (10 samples, 10.00%)</title>"
        "<title>SqlTrace.record (kafka_demo/local_mode/trace/store.py:211)"
        " (5 samples, 5.00%)</title>"
        "<title>SqlTrace.flush (kafka_demo/local_mode/trace/store.py:239)"
        " (4 samples, 4.00%)</title></svg>"
    )
    parts = dict(report.where_time_goes(svg))
    assert parts["the three writes (kafka_demo.storage)"] == pytest.approx(30.0)
    # flush runs inside the writer thread's loop, counted there: not twice.
    assert parts["the trace (SqlTrace, its writer thread included)"] == pytest.approx(5.0)
    assert parts["Flask, the REST door's app"] == 0


def test_write_floors_each_store_one_row_a_call() -> None:
    import floors

    connection = floors.held_connection("normal")
    writes = {
        floors.write_sql: connection,
        floors.write_sqlalchemy: connection,
        floors.write_iris: floors.iris_product_class("normal"),
    }
    path = connection.engine.url.database
    for write, store in writes.items():
        with sqlite3.connect(path) as reader:
            before = reader.execute("SELECT count(*) FROM product").fetchone()[0]
        write(store)
        write(store)
        with sqlite3.connect(path) as reader:
            after = reader.execute("SELECT count(*) FROM product").fetchone()[0]
        assert after == before + 2, write.__name__


@pytest.mark.parametrize(
    ("door", "message_class"),
    [
        ("kafka", "KafkaRawMessage"),
        ("rest", "KafkaRawMessage"),
        ("adapter", "EnsLib.Kafka.Message"),
    ],
)
def test_iop_floor_carries_the_doors_message_through_three_hops(
    door: str, message_class: str
) -> None:
    import floors

    chain = floors.noop_chain()
    first = len(chain.trace.hops)
    floors.one_record(door)()
    hops = chain.trace.hops[first:]
    assert [(hop.source, hop.target) for hop in hops if hop.kind == "Request"] == [
        ("Floor.Adapter" if door == "adapter" else "Floor.BS", "Floor.BP"),
        ("Floor.BP", "Floor.BO"),
    ]
    assert {hop.status for hop in hops} == {"Completed"}
    assert hops[0].message_class.endswith(message_class)
