"""The local mode's message trace: one entry per hop, as IRIS records an Ens.MessageHeader."""

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count
from typing import Protocol


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
    status: str = "Delivered"  # "Delivered", then "Completed" or "Error"
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
