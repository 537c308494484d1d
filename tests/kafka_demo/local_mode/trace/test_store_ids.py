"""Message and session ids come from the trace's database: two writers never share one."""

import sqlite3
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Engine, create_engine

from kafka_demo.local_mode.trace.queries import last_sessions
from kafka_demo.local_mode.trace.store import IDS_PER_RESERVATION, SqlTrace
from kafka_demo.local_mode.trace.vocabulary import Hop

BS, BP, BO = "Python.KafkaDemoBS", "Python.KafkaDemoBP", "Python.LocalStorageBO"


def run_session(trace: SqlTrace, writer: str) -> int:
    """A record handed to the BP, which stores it and answers: three messages in one session."""
    session_id = trace.new_session()
    for source, target, kind in ((BS, BP, "Request"), (BP, BO, "Request"), (BO, BP, "Response")):
        hop = trace.record(Hop(session_id, source, target, kind, "M", writer))
        trace.finish(hop, "Completed")
    trace.end_session(session_id)
    return session_id


def writers_by_session(engine: Engine) -> dict[int, set[str]]:
    writers: dict[int, set[str]] = defaultdict(set)
    for session in last_sessions(engine, 100_000):
        for hop in session.hops:
            writers[session.id].add(hop.body)
    return writers


def message_ids(db_path: Path) -> list[int]:
    with sqlite3.connect(db_path) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM message_trace")]


def test_two_writers_on_one_trace_never_share_a_session(tmp_path: Path) -> None:
    """A running production and a replay, say: each opened on the same file, interleaved."""
    url = f"sqlite:///{tmp_path / 'kafka_demo.trace.db'}"
    first, second = SqlTrace(create_engine(url)), SqlTrace(create_engine(url))
    sessions = {"first": [], "second": []}
    for _ in range(IDS_PER_RESERVATION + 5):  # beyond one reservation each
        sessions["first"].append(run_session(first, "first"))
        sessions["second"].append(run_session(second, "second"))

    assert set(sessions["first"]).isdisjoint(sessions["second"])
    writers = writers_by_session(create_engine(url))
    assert len(writers) == 2 * (IDS_PER_RESERVATION + 5)
    assert all(len(names) == 1 for names in writers.values()), "a session of two writers"
    ids = message_ids(tmp_path / "kafka_demo.trace.db")
    assert len(ids) == len(set(ids)) == 3 * len(writers)


WRITER = textwrap.dedent(
    """
    import sys
    from sqlalchemy import create_engine
    from kafka_demo.local_mode.trace.store import SqlTrace
    from tests.kafka_demo.local_mode.trace.test_store_ids import run_session

    url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    trace = SqlTrace(create_engine(url), flush_every_s=0.01)
    for _ in range(count):
        run_session(trace, name)
    trace.close()
    """
)


def test_two_processes_writing_at_once_never_share_a_session_or_a_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kafka_demo.trace.db"
    url = f"sqlite:///{path}"
    SqlTrace(create_engine(url))  # the table exists before both start
    count = 3 * IDS_PER_RESERVATION
    root = Path(__file__).resolve().parents[4]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, name, str(count)], cwd=root)
        for name in ("one", "two")
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]

    by_session = writers_by_session(create_engine(url))
    assert len(by_session) == 2 * count
    assert all(len(names) == 1 for names in by_session.values()), "a session of two processes"
    ids = message_ids(path)
    assert len(ids) == len(set(ids)) == 3 * 2 * count


def test_a_session_id_is_its_first_messages_id_and_follows_the_ids_kept(tmp_path: Path) -> None:
    """As in IRIS, a session is known by its first message; a new writer starts after the last
    id any writer reserved, not after the last one written."""
    url = f"sqlite:///{tmp_path / 'kafka_demo.trace.db'}"
    earlier = SqlTrace(create_engine(url))
    run_session(earlier, "earlier")
    first_hops = [s.hops[0] for s in last_sessions(create_engine(url), 10)]
    assert [(hop.id, hop.session_id) for hop in first_hops] == [(1, 1)]

    later = run_session(SqlTrace(create_engine(url)), "later")

    assert later == IDS_PER_RESERVATION + 1
    assert [s.hops[0].id for s in last_sessions(create_engine(url), 10)] == [1, later]


def test_a_trace_kept_before_the_counter_existed_is_continued_not_reused(tmp_path: Path) -> None:
    path = tmp_path / "kafka_demo.trace.db"
    url = f"sqlite:///{path}"
    run_session(SqlTrace(create_engine(url)), "old")
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE message_trace SET id = id + 40, session_id = 41")
        connection.execute("DROP TABLE trace_counter")

    session_id = run_session(SqlTrace(create_engine(url)), "new")

    assert session_id == 44
    assert sorted(writers_by_session(create_engine(url))) == [41, 44]
