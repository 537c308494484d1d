"""The local trace, group-committed: before a batch's offsets, by a background writer, at close."""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from kafka_demo.kafka_io.offsets import OFFSET_GLOBAL
from kafka_demo.local_mode.iris.iris_standin import GlobalRef, SqlGlobals
from kafka_demo.local_mode.trace.queries import last_sessions
from kafka_demo.local_mode.trace.store import SqlTrace
from kafka_demo.local_mode.trace.vocabulary import Hop


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "trace.db"


@pytest.fixture
def engine(db_path: Path) -> Engine:
    return create_engine(f"sqlite:///{db_path}")


def run_session(trace: SqlTrace, body: str) -> int:
    session_id = trace.new_session()
    hop = trace.record(
        Hop(session_id, "Python.KafkaDemoBS", "Python.KafkaDemoBP", "Request", "M", body)
    )
    trace.finish(hop, "Completed")
    trace.end_session(session_id)
    return session_id


def traced_bodies(engine: Engine) -> list[str]:
    return [hop.body for session in last_sessions(engine, 100) for hop in session.hops]


def offset_nodes(db_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path) as connection:
        return list(connection.execute("SELECT subscripts, value FROM iris_global"))


def test_without_a_writer_each_session_is_written_when_it_ends(engine: Engine) -> None:
    trace = SqlTrace(engine)
    run_session(trace, "one")
    assert traced_bodies(engine) == ["one"]


def test_ended_sessions_are_written_before_the_next_global(
    engine: Engine, db_path: Path, tmp_path: Path
) -> None:
    """The trace in a file of its own, ^KafkaDemo.Offset in the products' file."""
    products = tmp_path / "kafka_demo.db"
    trace = SqlTrace(engine, flush_every_s=60)
    offsets = GlobalRef(
        SqlGlobals(create_engine(f"sqlite:///{products}"), journal=trace), OFFSET_GLOBAL
    )
    for body in ("a", "b", "c"):
        run_session(trace, body)
    assert traced_bodies(engine) == [], "a batch's sessions wait for its offsets"

    offsets.set(["kafka_demo", 0], 3)

    assert traced_bodies(engine) == ["a", "b", "c"]
    assert offset_nodes(products) == [('["kafka_demo", 0]', "3")]
    trace.close()


def test_a_trace_that_cannot_be_written_holds_its_global_back_and_loses_none_of_it(
    db_path: Path, tmp_path: Path
) -> None:
    products = tmp_path / "kafka_demo.db"
    engine = create_engine(f"sqlite:///{db_path}?timeout=0.1")
    trace = SqlTrace(engine, flush_every_s=60)
    offsets = GlobalRef(
        SqlGlobals(create_engine(f"sqlite:///{products}"), journal=trace), OFFSET_GLOBAL
    )
    run_session(trace, "a")
    with exclusive_lock(db_path), pytest.raises(OperationalError, match="database is locked"):
        offsets.set(["kafka_demo", 0], 1)
    assert (traced_bodies(engine), offset_nodes(products)) == ([], [])

    offsets.set(["kafka_demo", 0], 1)

    assert (traced_bodies(engine), offset_nodes(products)) == (["a"], [('["kafka_demo", 0]', "1")])
    trace.close()


def test_a_global_that_cannot_be_written_after_its_trace_is_written_at_the_next_set(
    engine: Engine, tmp_path: Path
) -> None:
    """The trace is kept; the offset is not, so the batch's records come again (at least once)."""
    products = tmp_path / "kafka_demo.db"
    trace = SqlTrace(engine, flush_every_s=60)
    offsets = GlobalRef(
        SqlGlobals(create_engine(f"sqlite:///{products}?timeout=0.1"), journal=trace), OFFSET_GLOBAL
    )
    offsets.set(["kafka_demo", 0], 0)
    run_session(trace, "a")
    with exclusive_lock(products), pytest.raises(OperationalError, match="database is locked"):
        offsets.set(["kafka_demo", 0], 1)
    assert (traced_bodies(engine), offset_nodes(products)) == (["a"], [('["kafka_demo", 0]', "0")])

    offsets.set(["kafka_demo", 0], 1)

    assert offset_nodes(products) == [('["kafka_demo", 0]', "1")]
    trace.close()


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def test_the_background_writer_writes_ended_sessions_on_its_own(engine: Engine) -> None:
    trace = SqlTrace(engine, flush_every_s=0.05)
    run_session(trace, "rest")
    deadline = time.monotonic() + 5
    while traced_bodies(engine) != ["rest"]:
        assert time.monotonic() < deadline, "not written by the background writer"
        time.sleep(0.02)
    trace.close()


def test_close_writes_what_the_writer_had_not_written_yet(engine: Engine) -> None:
    trace = SqlTrace(engine, flush_every_s=60)
    run_session(trace, "last")
    trace.close()
    assert traced_bodies(engine) == ["last"]
