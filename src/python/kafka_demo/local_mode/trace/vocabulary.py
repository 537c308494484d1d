"""The trace's vocabulary: one Hop per message, as IRIS records an Ens.MessageHeader.

Spoken by the router that records hops, the store that keeps them, the page (/messages) and
the CLI (`kafka-demo trace`): the statuses, the class names as shown, and an error's summary.
"""

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count
from typing import Protocol

from kafka_demo.rest.replies import DEAD_LETTER_CLASSNAME, MESSAGES_MODULE, REJECTED_CLASSNAME

DELIVERED = "Delivered"
COMPLETED = "Completed"
ERROR = "Error"
REJECTED = "Rejected"
RESENT = "Resent"
DEAD_LETTERED = "Dead-lettered"
"""A hop is Delivered, then Completed or Error; the REST door's refusal is Rejected, and a
failed input sent again is Resent. A session takes its status from its hops (trace.queries)."""
SESSION_STATUSES = (COMPLETED, ERROR, REJECTED, DEAD_LETTERED, RESENT)

HTTP_CLIENT = "HTTP client"
REST_DOOR = "REST door"
"""The two ends of a refusal at the REST door, traced as a session of its own."""


def short_class(message_class: str) -> str:
    """A message class as the page and the CLI show it: the project's messages by class name
    (`kafka_demo.msg.ProductStored` is `ProductStored`), IRIS's (`EnsLib.Kafka.Message`) and
    any other in full."""
    return message_class.removeprefix(f"{MESSAGES_MODULE}.")


DEAD_LETTER_CLASS = short_class(DEAD_LETTER_CLASSNAME)
REJECTED_CLASS = short_class(REJECTED_CLASSNAME)
"""Two of the project's messages by their short_class name."""


_WRAPPED_ERROR = re.compile(r"^.*Exception in Python class: \S+ - ")
_SQLALCHEMY_REPEAT = re.compile(r" - \([\w.]+\) ")


def error_gist(error: str) -> str:
    """The innermost cause of an error, on one line: what went wrong, without its wrappers.

    `Exception in Python class: KafkaDemoBP - DeliveryError - Exception in Python class:
    LocalStorageBO - IntegrityError - (sqlite3.IntegrityError) disk full` is
    `IntegrityError - disk full` (SQLAlchemy's repeat of the class dropped too).
    """
    first_line = error.strip().split("\n", 1)[0]
    return _SQLALCHEMY_REPEAT.sub(" - ", _WRAPPED_ERROR.sub("", first_line), count=1)


def dead_letter_reason(body: str) -> str:
    """The reason a dead letter's body gives; empty if it gives none."""
    try:
        return str(json.loads(body).get("reason", ""))
    except (ValueError, AttributeError):
        return ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Hop:
    """One message from one item to another: a request, or the response to one."""

    session_id: int
    source: str
    target: str
    kind: str  # "Request" or "Response"
    message_class: str
    body: str
    status: str = DELIVERED
    error: str = ""
    time: datetime = field(default_factory=_now)
    id: int = 0


class TraceSink(Protocol):
    def new_session(self) -> int: ...

    def record(self, hop: Hop) -> Hop:
        """Take a new hop (a store may give it an id, or leave the id to its own rows)."""

    def finish(self, hop: Hop, status: str, error: str = "") -> None:
        """Mark a stored hop Completed or Error."""

    def end_session(self, session_id: int) -> None:
        """The session's first send has returned: from now on its hops are kept for good."""


class MemoryTrace:
    """A TraceSink kept in memory (tests, and runs that need no history)."""

    def __init__(self) -> None:
        self.hops: list[Hop] = []
        self._ids = count(1)
        self._sessions = count(1)
        self._lock = threading.Lock()

    def new_session(self) -> int:
        with self._lock:
            return next(self._sessions)

    def record(self, hop: Hop) -> Hop:
        with self._lock:
            hop.id = next(self._ids)
            self.hops.append(hop)
        return hop

    def finish(self, hop: Hop, status: str, error: str = "") -> None:
        hop.status = status
        hop.error = error

    def end_session(self, session_id: int) -> None:
        pass

    def session(self, session_id: int) -> list[Hop]:
        return [hop for hop in self.hops if hop.session_id == session_id]
