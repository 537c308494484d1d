"""The trace as the viewer, `kafka-demo trace`, `products` and `replay` read it.

Sessions newest first with their status, one session's hops, each product row's route, and
the failed inputs a replay sends again; read from the store's tables (trace.store).
"""

import json
from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import Engine, Subquery, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from kafka_demo.defaults import KAFKA_REST_BS
from kafka_demo.local_mode.instances import owned_by
from kafka_demo.local_mode.trace.store import HopRow, ResendRow
from kafka_demo.local_mode.trace.vocabulary import (
    COMPLETED,
    DEAD_LETTER_CLASS,
    DEAD_LETTERED,
    ERROR,
    REJECTED,
    REJECTED_CLASS,
    RESENT,
    Hop,
)
from kafka_demo.rest.replies import STORED_CLASSNAME


def _as_hop(row: HopRow) -> Hop:
    time = row.time if row.time.tzinfo else row.time.replace(tzinfo=timezone.utc)
    return Hop(
        row.session_id,
        row.source,
        row.target,
        row.kind,
        row.message_class,
        row.body,
        row.status,
        row.error,
        time,
        row.id,
    )


@dataclass
class TracedSession:
    id: int
    hops: list[Hop]


def last_sessions(engine: Engine, last: int) -> list[TracedSession]:
    """The `last` most recent sessions, oldest first, each with its hops in order."""
    with Session(engine) as session:
        ids = list(
            session.scalars(
                select(HopRow.session_id)
                .group_by(HopRow.session_id)
                .order_by(HopRow.session_id.desc())
                .limit(last)
            )
        )
        rows = session.scalars(
            select(HopRow).where(HopRow.session_id.in_(ids)).order_by(HopRow.id)
        ).all()
    by_session: dict[int, list[Hop]] = {session_id: [] for session_id in sorted(ids)}
    for row in rows:
        by_session[row.session_id].append(_as_hop(row))
    return [TracedSession(session_id, hops) for session_id, hops in by_session.items()]


@dataclass
class SessionSummary:
    """One line of the Message Viewer's list: a session by its first hop, and how it ended."""

    id: int
    status: str
    first: Hop


SCAN_CHUNK = 2000
"""Sessions looked at per query while listing: the newest are found without reading the rest."""
SOURCES_WINDOW = 2000
"""The source filter offers the items that opened one of this many latest sessions."""


def _session_flags(lowest: int, highest: int) -> Subquery:
    """Per session in [lowest, highest]: its first hop's id, and whether any hop failed,
    dead-lettered or rejected."""

    def any_hop(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.max(case((condition, 1), else_=0))

    return (
        select(
            HopRow.session_id,
            func.min(HopRow.id).label("first_id"),
            any_hop(HopRow.status == ERROR).label("failed"),
            any_hop(HopRow.message_class.like(f"%{DEAD_LETTER_CLASS}")).label("dead_lettered"),
            any_hop(
                (HopRow.status == REJECTED) | HopRow.message_class.like(f"%{REJECTED_CLASS}")
            ).label("rejected"),
        )
        .where(HopRow.session_id.between(lowest, highest))
        .group_by(HopRow.session_id)
        .subquery()
    )


def _session_id_range(session: Session) -> tuple[int, int] | None:
    """The lowest and highest session ids kept (ids grow with time), from the index."""
    lowest, highest = session.execute(
        select(func.min(HopRow.session_id), func.max(HopRow.session_id))
    ).one()
    return None if highest is None else (lowest, highest)


def find_sessions(
    engine: Engine,
    last: int,
    *,
    status: str | None = None,
    source: str | None = None,
    session_id: int | None = None,
) -> list[SessionSummary]:
    """The `last` most recent sessions, newest first, of one status, source item or id if given.

    A session's status: Resent once replayed; else Error if any hop failed; else
    Dead-lettered if it sent a dead letter; else Rejected if its input was refused
    (a ProductRejected answer, or a refusal at the REST door); else Completed.
    Sessions are read newest first, SCAN_CHUNK ids at a time, until `last` match.
    """
    found: list[SessionSummary] = []
    with Session(engine) as session:
        if session_id is not None:
            return _matching(session, session_id, session_id, status, source, last)
        kept = _session_id_range(session)
        if kept is None:
            return []
        lowest, highest = kept
        while highest >= lowest and len(found) < last:
            chunk_low = max(lowest, highest - SCAN_CHUNK + 1)
            found += _matching(session, chunk_low, highest, status, source, last - len(found))
            highest = chunk_low - 1
    return found


def _matching(
    session: Session,
    lowest: int,
    highest: int,
    status: str | None,
    source: str | None,
    limit: int,
) -> list[SessionSummary]:
    """The newest `limit` sessions in [lowest, highest] of this status and source."""
    flags = _session_flags(lowest, highest)
    session_status = case(
        (HopRow.status == RESENT, RESENT),
        (flags.c.failed == 1, ERROR),
        (flags.c.dead_lettered == 1, DEAD_LETTERED),
        (flags.c.rejected == 1, REJECTED),
        else_=COMPLETED,
    )
    query = select(flags.c.session_id, session_status, HopRow).join(
        HopRow, HopRow.id == flags.c.first_id
    )
    if status:
        query = query.where(session_status == status)
    if source:
        query = query.where(HopRow.source == source)
    rows = session.execute(query.order_by(flags.c.session_id.desc()).limit(limit)).all()
    return [SessionSummary(sid, found_status, _as_hop(first)) for sid, found_status, first in rows]


def session_sources(engine: Engine) -> list[str]:
    """The items that opened one of the latest SOURCES_WINDOW sessions: the source filter's
    choices (bounded, so that a long trace does not slow every reload of the page)."""
    with Session(engine) as session:
        kept = _session_id_range(session)
        if kept is None:
            return []
        latest = kept[1]
        first_hops = (
            select(func.min(HopRow.id))
            .where(HopRow.session_id > latest - SOURCES_WINDOW)
            .group_by(HopRow.session_id)
        )
        return list(
            session.scalars(
                select(HopRow.source)
                .where(HopRow.id.in_(first_hops.scalar_subquery()))
                .distinct()
                .order_by(HopRow.source)
            )
        )


def session_hops(engine: Engine, session_id: int) -> list[Hop]:
    """One session's hops, in the order they were sent."""
    with Session(engine) as session:
        rows = session.scalars(
            select(HopRow).where(HopRow.session_id == session_id).order_by(HopRow.id)
        ).all()
    return [_as_hop(row) for row in rows]


def find_hop(engine: Engine, hop_id: int) -> Hop | None:
    with Session(engine) as session:
        row = session.get(HopRow, hop_id)
    return None if row is None else _as_hop(row)


def stored_routes(engine: Engine) -> dict[int, str]:
    """Each product row's route, from the first ProductStored reply that names its id.

    The table has no route column (one table for all routes, as in IRIS); the
    trace keeps LocalStorageBO's reply, which says which route stored the row.
    A redelivered record's later reply names the same row: the first one wins.
    """
    routes: dict[int, str] = {}
    with Session(engine) as session:
        bodies = session.scalars(
            select(HopRow.body)
            .where(HopRow.kind == "Response", HopRow.message_class == STORED_CLASSNAME)
            .order_by(HopRow.id)
        )
        for body in bodies:
            reply = json.loads(body)
            routes.setdefault(int(reply["id"]), str(reply["route"]))
    return routes


def resendable(hops: list[Hop]) -> bool:
    """Whether a session (its hops, in order) is one `replay` sends again: its first request
    ended in an Error and came from Kafka (a REST caller was told of its failure): for a
    session in hand, the rule failed_inputs applies in SQL."""
    return bool(hops) and hops[0].status == ERROR and hops[0].source != KAFKA_REST_BS


def failed_inputs(engine: Engine, owner: int | None = None) -> list[Hop]:
    """The first request of each session that ended in an Error and was not sent again; with
    an `owner`, of that instance's sessions only (kafka_demo.local_mode.instances).

    Requests from KafkaRestBS are left out: their HTTP caller was told of the failure.
    """
    first_hops = select(func.min(HopRow.id)).group_by(HopRow.session_id).scalar_subquery()
    query = (
        select(HopRow)
        .where(HopRow.id.in_(first_hops), HopRow.status == ERROR)
        .where(HopRow.source != KAFKA_REST_BS)
    )
    if owner is not None:
        query = query.where(owned_by(owner, HopRow.session_id))
    with Session(engine) as session:
        rows = session.scalars(query.order_by(HopRow.id)).all()
    return [_as_hop(row) for row in rows]


def resent_as(engine: Engine, session_id: int) -> int | None:
    """The session that last sent a request of this session again, if one did."""
    with Session(engine) as session:
        return session.scalar(
            select(func.max(ResendRow.resent_as))
            .join(HopRow, HopRow.id == ResendRow.hop_id)
            .where(HopRow.session_id == session_id)
        )


def resend_of(engine: Engine, session_id: int) -> int | None:
    """The session whose request this session sent again, if it is a resend: the link back."""
    with Session(engine) as session:
        return session.scalar(
            select(HopRow.session_id)
            .join(ResendRow, ResendRow.hop_id == HopRow.id)
            .where(ResendRow.resent_as == session_id)
        )
