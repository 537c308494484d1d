"""Several productions on one PostgreSQL database: who is running, and which sessions are whose.

On an SQLite file one production runs at a time (kafka_demo.local_mode.claim). On
PostgreSQL, several `kafka-demo local` may run in one consumer group, as several IRIS
instances run against one data server. They share the products and ^KafkaDemo.Offset:
a partition that moves from one instance to another is resumed where the first left it,
and a record read again finds its row. Each instance owns its own work:

- it registers itself in `production_instance` (its id, pid, HTTP port and Resend token)
  and holds, on a connection of its own, a session-level advisory lock keyed by its id for
  as long as it runs. PostgreSQL releases the lock when that connection ends, even when
  the process was killed, so "running" means "holds its lock", never a guess from a
  heartbeat's age;
- the trace's message ids come in blocks (kafka_demo.local_mode.trace.store.IdBlocks),
  and each block is recorded in `trace_id_block` with the instance that reserved it: a
  session belongs to the instance whose block holds its id;
- its Resend and `replay` touch its own sessions, and those of instances no longer
  running, which it adopts first (one UPDATE: of two instances adopting at once, one gets
  each block). A running instance's sessions are never touched by another.
"""

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    create_engine,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import ColumnElement

from kafka_demo.local_mode.database import LOCK_CLASS, create_tables_together

_log = logging.getLogger(__name__)


class _InstanceBase(DeclarativeBase):
    pass


class InstanceRow(_InstanceBase):
    """A production that ran on this database; running while it holds its advisory lock."""

    __tablename__ = "production_instance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    command: Mapped[str] = mapped_column(String(32))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    broker: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    token: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdBlockRow(_InstanceBase):
    """Trace ids first_id..last_id were reserved by `instance`, which owns their sessions."""

    __tablename__ = "trace_id_block"

    first_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    instance: Mapped[int] = mapped_column(Integer, index=True)


_BLOCKS = _InstanceBase.metadata.tables[IdBlockRow.__tablename__]
_INSTANCES = _InstanceBase.metadata.tables[InstanceRow.__tablename__]


def shares_the_database(db_url: str) -> bool:
    """Whether several productions may run on this database at once: a PostgreSQL server."""
    return make_url(db_url).get_backend_name() == "postgresql"


def create_instance_tables(engine: Engine) -> None:
    _InstanceBase.metadata.create_all(engine, checkfirst=True)


@dataclass(frozen=True)
class RunningInstance:
    """A registered production, as its row says."""

    id: int
    command: str
    pid: int
    host: str
    port: int | None
    token: str

    @property
    def url(self) -> str | None:
        """Its HTTP server, where a replay of its sessions goes through (on its own host)."""
        return None if self.port is None else f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        where = f", http://127.0.0.1:{self.port}" if self.port is not None else ""
        return f"kafka-demo {self.command} (instance {self.id}, pid {self.pid}{where})"


class InstanceRegistration:
    """This process registered as an instance; the lock's connection stays open until
    `release()` (or the process's end, whatever ends it)."""

    def __init__(self, engine: Engine, connection: Connection, instance: RunningInstance) -> None:
        self._engine = engine
        self._connection: Connection | None = connection
        self.instance = instance

    @classmethod
    def register(
        cls, db_url: str, command: str, token: str, *, port: int | None, broker: str | None
    ) -> "InstanceRegistration":
        engine = create_engine(db_url, pool_size=1, max_overflow=0)
        create_tables_together(engine, [_InstanceBase.metadata])
        connection = engine.connect()
        try:
            row = {
                "command": command,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "port": port,
                "broker": broker,
                "token": token,
                "since": datetime.now(timezone.utc),
            }
            with connection.begin():
                instance_id = connection.execute(
                    insert(_INSTANCES).values(row).returning(_INSTANCES.c.id)
                ).scalar_one()
            with connection.begin():
                connection.execute(_LOCK, {"instance": instance_id})
            # Held by the session, not the transaction: the connection stays idle, outside one.
        except BaseException:
            connection.close()
            engine.dispose()
            raise
        instance = RunningInstance(instance_id, command, os.getpid(), str(row["host"]), port, token)
        return cls(engine, connection, instance)

    def release(self) -> None:
        """Close the lock's connection: the instance is no longer running.

        Only in the process that registered: gunicorn's worker is forked from it and leaves
        through the same `finally`, and closing the inherited connection there would end
        the lock of the master, which still runs (psycopg itself closes a connection at
        garbage collection only in the process that opened it)."""
        if self._connection is None or os.getpid() != self.instance.pid:
            return
        connection, self._connection = self._connection, None
        try:
            connection.close()
        finally:
            self._engine.dispose()


_LOCK = text("SELECT pg_advisory_lock(:lock_class, :instance)").bindparams(lock_class=LOCK_CLASS)
_HELD_LOCKS = text(
    "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = :lock_class AND objsubid = 2"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
).bindparams(lock_class=LOCK_CLASS)
"""The instances whose lock is held. A two-int4 advisory lock shows its keys as classid and
objid, with objsubid 2 (PostgreSQL's documentation of pg_locks)."""


def running_ids(connection: Connection) -> set[int]:
    return {int(objid) for (objid,) in connection.execute(_HELD_LOCKS)}


def running_instances(engine: Engine) -> list[RunningInstance]:
    """The instances registered on this database that are running now, oldest first."""
    create_instance_tables(engine)
    with engine.connect() as connection:
        alive = running_ids(connection)
        if not alive:
            return []
        rows = connection.execute(
            select(_INSTANCES).where(_INSTANCES.c.id.in_(alive)).order_by(_INSTANCES.c.id)
        ).all()
    return [
        RunningInstance(row.id, row.command, row.pid, row.host, row.port, row.token) for row in rows
    ]


def record_block(connection: Connection, first_id: int, last_id: int, instance: int) -> None:
    """In the transaction that reserved the ids: they belong to `instance`."""
    connection.execute(
        insert(_BLOCKS).values(first_id=first_id, last_id=last_id, instance=instance)
    )


def adopt_orphans(engine: Engine, instance: int) -> int:
    """Give `instance` the blocks of every instance that is no longer running; how many.

    PostgreSQL re-checks an UPDATE's condition on a row another transaction changed
    meanwhile, so a block adopted by a running instance is not taken from it."""
    with engine.begin() as connection:
        alive = running_ids(connection) | {instance}
        adopted = connection.execute(
            update(_BLOCKS).where(_BLOCKS.c.instance.not_in(alive)).values(instance=instance)
        ).rowcount
    if adopted:
        _log.info(
            "instance %s adopted %s id block(s) of instances no longer running",
            instance,
            adopted,
        )
    return adopted


def owner_of(engine: Engine, session_id: int) -> int | None:
    """The instance whose block holds `session_id`, or None if no instance reserved it."""
    with engine.connect() as connection:
        return connection.scalar(
            select(_BLOCKS.c.instance).where(
                _BLOCKS.c.first_id <= session_id, _BLOCKS.c.last_id >= session_id
            )
        )


def owned_by(instance: int, session_id: ColumnElement[int] | Mapped[int]) -> ColumnElement[bool]:
    """Whether the session `session_id` (a column) lies in one of the blocks of `instance`."""
    return (
        select(_BLOCKS.c.first_id)
        .where(
            _BLOCKS.c.instance == instance,
            _BLOCKS.c.first_id <= session_id,
            _BLOCKS.c.last_id >= session_id,
        )
        .exists()
    )
