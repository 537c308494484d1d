"""The trace's store: its tables, the writer that keeps each session's hops, and the ids.

One row per hop, as IRIS keeps one Ens.MessageHeader per message; the body is
kept whole (class name and JSON), so a failed request can be sent again.

Ids come from the database, as IRIS's come from `$INCREMENT` on the header
global's ID counter: a counter row, raised in a short transaction of its own,
reserves a block of ids for one writer; two writers (a running production and
a replay, say) get disjoint blocks, so they never share a message or a session
id. A session's id is the id of its first message, as in IRIS ("The SessionID
is the same as the ID of the primary request message", Monitoring Productions,
EMONITOR_concepts_msg_session). Ids are in order within a writer; ids a writer
reserved and did not use are skipped.
"""

import logging
import threading
from datetime import datetime

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    Text,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kafka_demo.local_mode.instances import create_instance_tables, record_block
from kafka_demo.local_mode.trace.vocabulary import RESENT, Hop

_log = logging.getLogger(__name__)


class _TraceBase(DeclarativeBase):
    """The trace's tables: a metadata of their own, made where the trace is kept."""


class HopRow(_TraceBase):
    __tablename__ = "message_trace"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    source: Mapped[str] = mapped_column(String(255))
    target: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    message_class: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text, default="")
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdCounter(_TraceBase):
    """The last id handed out, per counter (one: the messages')."""

    __tablename__ = "trace_counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


MESSAGE_IDS = "message"
IDS_PER_RESERVATION = 100
"""Ids a writer reserves per transaction on the counter: one reservation per hundred messages
(a transaction per message would cost more than the message's own trace row)."""

_COUNTER = _TraceBase.metadata.tables[IdCounter.__tablename__]


class IdBlocks:
    """Message ids reserved from the trace database, a block at a time; with an `owner` (an
    instance on a database several productions share), each block is recorded as its own."""

    def __init__(
        self,
        engine: Engine,
        per_reservation: int = IDS_PER_RESERVATION,
        owner: int | None = None,
    ) -> None:
        self._engine = engine
        self._per_reservation = per_reservation
        self._owner = owner
        if owner is not None:
            create_instance_tables(engine)
        self._lock = threading.Lock()
        self._next = 0
        self._end = 0
        _start_counter(engine)

    def next_id(self) -> int:
        with self._lock:
            if self._next >= self._end:
                self._end = reserve_ids(self._engine, self._per_reservation, self._owner) + 1
                self._next = self._end - self._per_reservation
            self._next += 1
            return self._next - 1


def reserve_ids(engine: Engine, count: int, owner: int | None = None) -> int:
    """Raise the message counter by `count` in a transaction of its own; the highest id reserved.

    The UPDATE takes the database's write lock (SQLite) or the row's (a server) before it
    reads the counter, so two writers never reserve the same ids. An `owner`'s block is
    recorded in the same transaction (kafka_demo.local_mode.instances).
    """
    with engine.begin() as connection:
        connection.execute(_RAISE_COUNTER, {"counter": MESSAGE_IDS, "count": count})
        highest = int(connection.execute(_COUNTER_VALUE, {"counter": MESSAGE_IDS}).scalar_one())
        if owner is not None:
            record_block(connection, highest - count + 1, highest, owner)
        return highest


_RAISE_COUNTER = (
    update(_COUNTER)
    .where(_COUNTER.c.name == bindparam("counter"))
    .values(value=_COUNTER.c.value + bindparam("count"))
)
_COUNTER_VALUE = select(_COUNTER.c.value).where(_COUNTER.c.name == bindparam("counter"))
"""Built once, with their values as parameters: a reservation then costs its two statements'
execution, not building and keying them again (a median of 250 us a reservation before, 170
after, measured here on SQLite)."""


def create_trace_tables(engine: Engine) -> None:
    """The trace's tables, made when the store opens (iris.schema.open_trace_database, and the
    SqlTrace that writes there); the functions that read the trace expect them."""
    _TraceBase.metadata.create_all(engine, checkfirst=True)


def _start_counter(engine: Engine) -> None:
    """The counter row, made once per trace database, after any message kept there already."""
    create_trace_tables(engine)
    with engine.connect() as connection:
        if connection.scalar(_COUNTER_VALUE, {"counter": MESSAGE_IDS}) is not None:
            return
    try:
        with engine.begin() as connection:
            highest = connection.scalar(select(func.max(HopRow.id))) or 0
            connection.execute(insert(_COUNTER).values(name=MESSAGE_IDS, value=highest))
    except IntegrityError:
        pass  # another writer made it meanwhile


class SqlTrace:
    """A TraceSink that keeps each session's hops in the `message_trace` table.

    The hops of a session are held in memory while it runs, statuses final when
    it ends. Then, by default, they are written in one transaction. With
    `flush_every_s`, ended sessions are group-committed instead, as IRIS's
    journal is: written together by a background writer every that many
    seconds, and by `flush()`, which the local stand-in calls before it writes
    a global (so a batch's offsets are never kept without its trace). A
    session whose process dies before it is written leaves no rows; a failed
    write keeps its hops for the next one.
    """

    def __init__(
        self, engine: Engine, flush_every_s: float | None = None, owner: int | None = None
    ) -> None:
        """`owner`: the instance whose sessions these are, on a database several share."""
        self._engine = engine
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._running: dict[int, list[Hop]] = {}
        self._ended: list[Hop] = []
        self._closing = threading.Event()
        self._writer: threading.Thread | None = None
        self._ids = IdBlocks(engine, owner=owner)
        self._unopened: set[int] = set()  # sessions whose first message is not recorded yet
        if flush_every_s is not None:
            self._writer = threading.Thread(
                target=self._write_every, args=(flush_every_s,), name="trace-writer", daemon=True
            )
            self._writer.start()

    def new_session(self) -> int:
        """A new id from the database: the session's, and its first message's."""
        session_id = self._ids.next_id()
        with self._lock:
            self._unopened.add(session_id)
        return session_id

    def record(self, hop: Hop) -> Hop:
        with self._lock:
            first = hop.session_id in self._unopened
            self._unopened.discard(hop.session_id)
            self._running.setdefault(hop.session_id, []).append(hop)
        hop.id = hop.session_id if first else self._ids.next_id()
        return hop

    def finish(self, hop: Hop, status: str, error: str = "") -> None:
        hop.status, hop.error = status, error

    def end_session(self, session_id: int) -> None:
        with self._lock:
            self._unopened.discard(session_id)
            hops = self._running.pop(session_id, [])
            if self._writer is not None:
                self._ended.extend(hops)
                return
        if hops:
            with self._write_lock, self._engine.begin() as connection:
                _write_hops(connection, hops)

    def flush(self) -> None:
        """Write the ended sessions now (before a global is set, a Kafka commit, at shutdown).

        A write that fails keeps its hops, in order, for the next one."""
        with self._write_lock:
            with self._lock:
                hops, self._ended = self._ended, []
            if not hops:
                return
            try:
                with self._engine.begin() as connection:
                    _write_hops(connection, hops)
            except BaseException:
                with self._lock:
                    self._ended[:0] = hops
                raise

    def close(self) -> None:
        """Stop the background writer and write what it had not written yet."""
        self._closing.set()
        if self._writer is not None:
            self._writer.join()
        self.flush()

    def _write_every(self, interval_s: float) -> None:
        failing = False
        while not self._closing.wait(interval_s):
            try:
                self.flush()
            except Exception as error:
                if not failing:
                    _log.warning("the trace is not written yet, kept for the next try: %s", error)
                failing = True
                continue
            if failing:
                _log.info("the trace is written again")
            failing = False


def _write_hops(connection: Connection, hops: list[Hop]) -> None:
    """One executemany for all of them, each row with its hop's id."""
    if hops:
        connection.execute(_INSERT_HOP, [_row_values(hop) for hop in hops])


_INSERT_HOP = insert(_TraceBase.metadata.tables[HopRow.__tablename__])
"""Built once, so each hop costs only its parameters (not a statement to build and key)."""


def _row_values(hop: Hop) -> dict[str, object]:
    return {
        "id": hop.id,
        "session_id": hop.session_id,
        "source": hop.source,
        "target": hop.target,
        "kind": hop.kind,
        "message_class": hop.message_class,
        "body": hop.body,
        "status": hop.status,
        "error": hop.error,
        "time": hop.time,
    }


class ResendRow(_TraceBase):
    """A request sent again, and the session that sent it: the link from one to the other."""

    __tablename__ = "message_resend"

    hop_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    resent_as: Mapped[int] = mapped_column(Integer)


def mark_resent(engine: Engine, hop_id: int, resent_as: int | None = None) -> None:
    """The operator sent this request again (as IRIS marks a resent message), in the session
    `resent_as`, to which the request's session then links."""
    with Session(engine) as session, session.begin():
        session.execute(update(HopRow).where(HopRow.id == hop_id).values(status=RESENT))
        if resent_as is not None:
            session.merge(ResendRow(hop_id=hop_id, resent_as=resent_as))
