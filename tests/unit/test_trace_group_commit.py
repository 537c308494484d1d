"""The local trace, group-committed: with a batch's offsets, by a background writer, at close."""

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from kafka_demo.local_mode.iris_standin import GlobalRef, SqlGlobals
from kafka_demo.local_mode.sql_trace import SqlTrace, last_sessions
from kafka_demo.local_mode.trace import Hop
from kafka_demo.offsets import OFFSET_GLOBAL


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


def test_ended_sessions_are_written_with_the_next_global_in_one_transaction(
    engine: Engine, db_path: Path
) -> None:
    trace = SqlTrace(engine, flush_every_s=60)
    offsets = GlobalRef(SqlGlobals(engine, journal=trace), OFFSET_GLOBAL)
    for body in ("a", "b", "c"):
        run_session(trace, body)
    assert traced_bodies(engine) == [], "a batch's sessions wait for its offsets"

    offsets.set(["kafka_demo", 0], 3)

    assert traced_bodies(engine) == ["a", "b", "c"]
    assert offset_nodes(db_path) == [('["kafka_demo", 0]', "3")]
    trace.close()


def test_a_global_that_cannot_be_written_keeps_its_trace_back_and_loses_none_of_it(
    db_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{db_path}?timeout=0.1")
    trace = SqlTrace(engine, flush_every_s=60)
    offsets = GlobalRef(SqlGlobals(engine, journal=trace), OFFSET_GLOBAL)
    run_session(trace, "a")
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            offsets.set(["kafka_demo", 0], 1)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert (traced_bodies(engine), offset_nodes(db_path)) == ([], [])

    offsets.set(["kafka_demo", 0], 1)

    assert (traced_bodies(engine), offset_nodes(db_path)) == (["a"], [('["kafka_demo", 0]', "1")])
    trace.close()


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
