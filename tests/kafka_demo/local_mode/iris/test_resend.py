"""Resend's production half: an input rebuilt from the trace, sent again once, marked Resent;
a replay with no production running starts one only when an input failed."""

import sqlite3
from pathlib import Path

from kafka_demo.defaults import KAFKA_DEMO_BP
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.database import trace_url
from kafka_demo.local_mode.iris.resend import replay_failed, replay_here
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.local_mode.trace.queries import failed_inputs, session_hops
from kafka_demo.local_mode.trace.vocabulary import ERROR, RESENT
from tests.support.local_runtime import STORAGE_OUTAGE_ERROR, hand_over, storage_outage


def product_names(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM product ORDER BY id")]


def test_a_resend_that_fails_again_leaves_its_own_session_as_the_one_error(
    runtime: LocalRuntime, database: Path
) -> None:
    runtime.start()
    assert runtime.production is not None and runtime.trace is not None
    engine = runtime.trace_engine
    with storage_outage(database):
        hand_over(runtime, b'{"name": "widget", "price": 5}', 0)
        runtime.trace.flush()
        (input_hop,) = failed_inputs(engine)
        (again,) = replay_failed(runtime.production, engine, owner=None)
    runtime.trace.flush()

    assert (again.hop.id, again.hop.target) == (input_hop.id, KAFKA_DEMO_BP)
    assert again.error is not None and STORAGE_OUTAGE_ERROR in again.error
    assert again.resent_as is not None
    assert session_hops(engine, input_hop.session_id)[0].status == RESENT
    assert [hop.session_id for hop in failed_inputs(engine)] == [again.resent_as]
    assert session_hops(engine, again.resent_as)[0].status == ERROR

    (stored,) = replay_failed(runtime.production, engine, owner=None)
    runtime.trace.flush()

    assert (stored.error, stored.hop.session_id) == (None, again.resent_as)
    assert failed_inputs(engine) == []
    assert product_names(database) == ["widget"]


def test_a_replay_with_nothing_failed_starts_no_production(tmp_path: Path) -> None:
    products = tmp_path / "kafka_demo.db"
    db_url = f"sqlite:///{products}"

    assert replay_here(LocalConfig(db_url=db_url)) == []
    assert Path(trace_url(db_url).removeprefix("sqlite:///")).exists()
    assert not products.exists()  # the runtime, which opens the products, never started


def test_a_replay_with_no_production_running_resends_each_failed_input_once(
    database: Path,
) -> None:
    config = LocalConfig(db_url=f"sqlite:///{database}")
    first = LocalRuntime(config, poll=False)
    first.start()
    with storage_outage(database):
        hand_over(first, b'{"name": "late", "price": 3}', 0)
        hand_over(first, b'{"name": "later", "price": 4}', 1)
    first.stop()

    outcomes = replay_here(config)
    again = replay_here(config)

    assert [(outcome.error, outcome.hop.target) for outcome in outcomes] == [
        (None, KAFKA_DEMO_BP),
        (None, KAFKA_DEMO_BP),
    ]
    assert again == []
    assert product_names(database) == ["late", "later"]
