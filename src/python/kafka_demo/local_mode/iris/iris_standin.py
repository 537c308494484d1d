"""A stand-in for the parts of IRIS that the production touches, for use without IRIS.

It is installed at the one seam where IoP and this project reach IRIS
(`iop.runtime.iris.get_iris`, and the runtime of iris_persistence, through which
IoP asks a native message's class for its parameters) and provides, for real
rather than as mocks:
IOP.Message containers and character streams (so IoP's own serialization runs),
globals (in memory, or in a SQL database so they survive a restart), the
Ens.Util.Log event log (kept, and passed to Python logging), and any IRIS class
given explicitly. Every other class is refused with IrisUnavailable.
"""

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from iris_persistence.runtime import IRISRuntime, WrapperBackend, install_runtime
from sqlalchemy import Engine, String, Text, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kafka_demo.iris_gateway import IrisUnavailable

LOG_LEVELS = {
    1: logging.CRITICAL,
    2: logging.ERROR,
    3: logging.WARNING,
    4: logging.INFO,
    5: logging.DEBUG,
    6: logging.CRITICAL,
}
_LOG_TYPES = {1: "Assert", 2: "Error", 3: "Warning", 4: "Info", 5: "Trace", 6: "Alert"}
_logger = logging.getLogger(__name__)


class IrisObject:
    """Base of stand-in IRIS objects; IoP recognises an IRIS object by its module name."""

    iris_classname = ""
    iris_superclasses: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__module__ = "iris"

    def _ClassName(self, full: int = 0) -> str:  # noqa: N802 (IRIS method name)
        return self.iris_classname if full else self.iris_classname.rsplit(".", 1)[-1]

    def _IsA(self, name: str) -> int:  # noqa: N802
        return int(name == self.iris_classname or name in self.iris_superclasses)


IrisObject.__module__ = "iris"


class GlobalStream(IrisObject):
    """What IRIS's global streams share: read in chunks from a position, rewound, sized."""

    def __init__(self, content: str | bytes) -> None:
        self._content = content
        self._position = 0

    def _as_text(self, chunk: Any) -> str:
        """What Read answers for a chunk of the content (a character stream's is the chunk)."""
        return chunk

    def Rewind(self) -> int:  # noqa: N802 (IRIS method name)
        self._position = 0
        return 1

    def Read(self, length: int = 32_000) -> str:  # noqa: N802
        chunk = self._content[self._position : self._position + int(length)]
        self._position += len(chunk)
        return self._as_text(chunk)

    @property
    def AtEnd(self) -> int:  # noqa: N802
        return int(self._position >= len(self._content))

    @property
    def Size(self) -> int:  # noqa: N802
        return len(self._content)


class CharacterStream(GlobalStream):
    """%Stream.GlobalCharacter: IoP keeps a message's JSON in one when it is over 1 MB."""

    iris_classname = "%Stream.GlobalCharacter"

    def __init__(self) -> None:
        super().__init__("")

    def Write(self, text: str) -> int:  # noqa: N802
        assert isinstance(self._content, str)  # built empty as text, written only here
        self._content += text
        return 1


class IOPMessage(IrisObject):
    """IOP.Message: the persistent container IoP serializes a Python message into."""

    iris_classname = "IOP.Message"
    iris_superclasses = ("Ens.MessageBody", "%Persistent")
    buffer = 1_000_000

    def __init__(self) -> None:
        self.classname = ""
        self.type = "String"
        self._json: Any = ""

    @property
    def json(self) -> Any:
        return self._json

    @json.setter
    def json(self, value: Any) -> None:
        self._json = value
        self.type = "Stream" if isinstance(value, CharacterStream) else "String"

    def _Id(self) -> str:  # noqa: N802
        """Not saved to a database, so no id (IoP then leaves the message's _iris_id None)."""
        return ""

    @classmethod
    def holding(cls, classname: str, json_text: str) -> "IOPMessage":
        """A container for a message body kept elsewhere (to send a traced message again)."""
        message = cls()
        message.classname = classname
        message.json = json_text
        return message

    def json_text(self) -> str:
        """The JSON body, whether IoP put it in a string or a stream."""
        if isinstance(self._json, CharacterStream):
            self._json.Rewind()
            return self._json.Read(self._json.Size)
        return str(self._json)


class _Factory:
    """What `iris.cls(name)` returns for a class whose instances come from `_New()`."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make

    def _New(self, *_: Any) -> Any:  # noqa: N802
        return self._make()


class EventLog:
    """Ens.Util.Log: the production's event log, kept in memory and sent to Python logging."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, str]] = []

    def Log(self, level: int, class_name: str, method: str, text: str) -> None:  # noqa: N802
        kind = _LOG_TYPES.get(int(level), "Info")
        self.entries.append((kind, str(class_name), str(method), str(text)))
        _logger.log(LOG_LEVELS.get(int(level), logging.INFO), "%s.%s: %s", class_name, method, text)

    def LogAssert(self, class_name: str, method: str, text: str) -> None:  # noqa: N802
        self.Log(1, class_name, method, text)

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for entry_kind, _, _, text in self.entries if kind in (None, entry_kind)]


class _ConsoleLog:
    """%SYS.System, for IoP's log-to-console option."""

    def WriteToConsoleLog(self, text: str, *_: Any) -> None:  # noqa: N802
        _logger.info("%s", text)


class MemoryGlobals:
    """Global nodes kept in a dict: lost when the process ends, like a fresh IRIS namespace."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[str, tuple[Any, ...]], Any] = {}
        self._lock = threading.Lock()

    def read(self, name: str, subscripts: tuple[Any, ...]) -> Any:
        with self._lock:
            return self._nodes.get((name, subscripts))

    def write(self, name: str, subscripts: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._nodes[(name, subscripts)] = value

    def kill(self, name: str, subscripts: tuple[Any, ...]) -> None:
        with self._lock:
            for key in [
                k for k in self._nodes if k[0] == name and k[1][: len(subscripts)] == subscripts
            ]:
                del self._nodes[key]

    def has_descendants(self, name: str, subscripts: tuple[Any, ...]) -> bool:
        with self._lock:
            depth = len(subscripts)
            return any(
                k[0] == name and len(k[1]) > depth and k[1][:depth] == subscripts
                for k in self._nodes
            )


class _GlobalBase(DeclarativeBase):
    pass


class GlobalNode(_GlobalBase):
    """A global node stored in a SQL table, the local stand-in for an IRIS database."""

    __tablename__ = "iris_global"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    subscripts: Mapped[str] = mapped_column(String(1000), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


_NODES = _GlobalBase.metadata.tables[GlobalNode.__tablename__]
_UPDATE_NODE = (
    update(_NODES)
    .where(_NODES.c.name == bindparam("key_name"), _NODES.c.subscripts == bindparam("key_subs"))
    .values(value=bindparam("new_value"))
)
_INSERT_NODE = insert(_NODES)
_NODE_VALUE = select(_NODES.c.value).where(
    _NODES.c.name == bindparam("key_name"), _NODES.c.subscripts == bindparam("key_subs")
)
_NODES_OF_GLOBAL = select(_NODES.c.subscripts).where(_NODES.c.name == bindparam("key_name"))
"""Built once, read through Core: a KafkaDemoBS batch reads its offset node three times
(GlobalOffsetStore.next_offset: $DATA, then the value), and an ORM Session a read cost
several times the query itself."""


class Journal(Protocol):
    def flush(self) -> None:
        """Write what was logged so far."""


class SqlGlobals:
    """Global nodes kept in a SQL database, so they survive a restart as IRIS globals do.

    With a `journal` (the local trace, in a database of its own), each write
    comes after the journal has written what it holds: as IRIS's journal logs
    every update in time order, a global kept means the trace logged before it
    is kept too.
    """

    def __init__(self, engine: Engine, journal: Journal | None = None) -> None:
        self._engine = engine
        self._journal = journal
        _GlobalBase.metadata.create_all(engine, checkfirst=True)

    def read(self, name: str, subscripts: tuple[Any, ...]) -> Any:
        with self._engine.connect() as connection:
            text = connection.scalar(
                _NODE_VALUE, {"key_name": name, "key_subs": json.dumps(subscripts)}
            )
        return None if text is None else json.loads(text)

    def write(self, name: str, subscripts: tuple[Any, ...], value: Any) -> None:
        """One transaction: update the node, or insert it when there is none.

        Two productions on one server database may both find a node missing and insert it;
        the second insert fails on the key, and its update then finds the node: the last
        write wins, as with a global set by two IRIS jobs."""
        key, text = json.dumps(subscripts), json.dumps(value)
        if self._journal is not None:
            self._journal.flush()
        try:
            self._update_or_insert(name, key, text)
        except IntegrityError:
            self._update_or_insert(name, key, text)

    def _update_or_insert(self, name: str, key: str, text: str) -> None:
        with self._engine.begin() as connection:
            changed = connection.execute(
                _UPDATE_NODE, {"key_name": name, "key_subs": key, "new_value": text}
            )
            if changed.rowcount == 0:
                connection.execute(_INSERT_NODE, {"name": name, "subscripts": key, "value": text})

    def kill(self, name: str, subscripts: tuple[Any, ...]) -> None:
        with Session(self._engine) as session, session.begin():
            for node in session.scalars(select(GlobalNode).where(GlobalNode.name == name)):
                if tuple(json.loads(node.subscripts))[: len(subscripts)] == subscripts:
                    session.delete(node)

    def has_descendants(self, name: str, subscripts: tuple[Any, ...]) -> bool:
        with self._engine.connect() as connection:
            nodes = connection.scalars(_NODES_OF_GLOBAL, {"key_name": name}).all()
        depth = len(subscripts)
        for node_subscripts in nodes:
            below = tuple(json.loads(node_subscripts))
            if len(below) > depth and below[:depth] == subscripts:
                return True
        return False


class GlobalRef:
    """`iris.gref(name)`: the methods of IRIS's global reference that this project uses."""

    def __init__(self, store: MemoryGlobals | SqlGlobals, name: str) -> None:
        self._store = store
        self._name = name

    def data(self, key: list[Any] | None = None) -> int:
        """IRIS's $DATA: 1 when the node has a value, plus 10 when nodes lie below it."""
        has_value = 0 if self.get(key) is None else 1
        below = self._store.has_descendants(self._name, tuple(key or ()))
        return has_value + (10 if below else 0)

    def get(self, key: list[Any] | None = None) -> Any:
        return self._store.read(self._name, tuple(key or ()))

    def set(self, key: list[Any] | None, value: Any) -> None:
        self._store.write(self._name, tuple(key or ()), value)

    def kill(self, key: list[Any] | None = None) -> None:
        self._store.kill(self._name, tuple(key or ()))


class IrisStandIn:
    """The `iris` module as seen through the seam, without IRIS.

    `classes` adds IRIS classes by name (a test's recording fake of User.product,
    a Director for the REST doors); any other class is refused with
    IrisUnavailable, so nothing can pass for a call that did not happen.
    """

    def __init__(
        self,
        globals_store: MemoryGlobals | SqlGlobals | None = None,
        classes: dict[str, Any] | None = None,
    ) -> None:
        self.globals_store = globals_store or MemoryGlobals()
        self.event_log = EventLog()
        self._classes: dict[str, Any] = {
            "IOP.Message": _Factory(IOPMessage),
            "%Stream.GlobalCharacter": _Factory(CharacterStream),
            "Ens.Util.Log": self.event_log,
            "%SYS.System": _ConsoleLog(),
        }
        self._classes.update(classes or {})

    def add_class(self, name: str, value: Any) -> None:
        self._classes[name] = value

    def cls(self, name: str) -> Any:
        try:
            return self._classes[name]
        except KeyError:
            raise IrisUnavailable(f"the IRIS class {name} exists only in IRIS") from None

    def gref(self, name: str) -> GlobalRef:
        return GlobalRef(self.globals_store, name)

    @staticmethod
    def check_status(status: Any) -> None:
        """Raise with the status's error text, as `iris.check_status` does
        (docs GEPYTHON_reference_core)."""
        if status != 1:
            text = str(status)
            raise RuntimeError(text[2:] if text.startswith("0 ") else f"ERROR status: {text}")

    def __getattr__(self, name: str) -> Any:
        raise IrisUnavailable(f"iris.{name} exists only in IRIS")


class PersistenceBackend(WrapperBackend):
    """The second door of the same seam: IoP reaches IRIS through iris_persistence too, when it
    asks a native message's class (EnsLib.Kafka.Message) whether it maps to a Python class."""

    def __init__(self, standin: "IrisStandIn") -> None:
        self._standin = standin

    def _iris(self) -> Any:
        return self._standin

    def state(self) -> Any:
        return None


def persistence_runtime(standin: "IrisStandIn") -> IRISRuntime:
    """iris_persistence's runtime, answered by the stand-in instead of the `iris` wrapper."""
    return IRISRuntime(PersistenceBackend(standin))


def install(standin: "IrisStandIn") -> None:
    """Put the stand-in at the seam: from now on IoP and the project reach it, not IRIS."""
    # Deferred: IoP, which the commands that only read the database (products, trace) never import.
    from iop.runtime import iris as iop_iris

    iop_iris.get_iris = lambda namespace=None: standin
    install_runtime(persistence_runtime(standin))
