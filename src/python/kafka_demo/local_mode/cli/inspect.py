"""`kafka-demo products`, `trace` and `dlq`: what the local mode stored, traced and dead-lettered.

Each output fits an 80-column terminal: long texts (a storage error, a reason)
are cut to one line; the whole text stays in the database and on /messages.
"""

import argparse
from decimal import Decimal
from typing import Any

from kafka_demo.local_mode.cli.common import (
    CommandError,
    existing_database,
    one_line,
    require_broker,
    table,
)
from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.trace.vocabulary import (
    DEAD_LETTER_CLASS,
    RESENT,
    dead_letter_reason,
    error_gist,
    short_class,
)

WIDTH = 80


def run_products(args: argparse.Namespace) -> int:
    # Deferred: SQLAlchemy and the stand-ins' tables, which the other commands never import.
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from kafka_demo.local_mode.iris.schema import open_product_database, open_trace_database
    from kafka_demo.local_mode.trace.queries import stored_routes
    from kafka_demo.models import ProductRow

    db_url = existing_database(args.db)
    engine = open_product_database(db_url)
    routes = stored_routes(open_trace_database(db_url))
    query = select(ProductRow).order_by(ProductRow.id.desc())
    if (last := getattr(args, "last", None)) is not None:
        query = query.limit(last)
    with Session(engine) as session:
        rows = [
            (str(r.id), routes.get(r.id, "-"), r.name, f"{Decimal(r.price):.2f}")
            for r in reversed(session.scalars(query).all())
        ]
    print(table(("id", "route", "name", "price"), rows))
    print(f"{len(rows)} product(s)")
    return 0


def run_trace(args: argparse.Namespace) -> int:
    # Deferred: SQLAlchemy and the stand-ins' tables, which the other commands never import.
    from kafka_demo.local_mode.iris.schema import open_trace_database
    from kafka_demo.local_mode.trace.queries import (
        find_sessions,
        last_sessions,
        resend_of,
        resent_as,
    )

    engine = open_trace_database(existing_database(args.db))
    summaries = find_sessions(engine, args.last)  # newest first, with /messages' statuses
    hops = {session.id: session.hops for session in last_sessions(engine, args.last)}
    if not summaries:
        print("no message yet")
        return 0
    print(f"the last {len(summaries)} session(s), newest first (as /messages lists them)")
    for summary in summaries:
        print()
        print(_session_text(summary.id, summary.status, hops.get(summary.id, [summary.first])))
        if (earlier := resend_of(engine, summary.id)) is not None:
            print(f"  resend of session {earlier}")
        if summary.status == RESENT and (again := resent_as(engine, summary.id)) is not None:
            print(f"  resent as session {again}")
    return 0


def _session_text(session_id: int, status: str, hops: list[Any]) -> str:
    start = hops[0].time
    lines = [f"session {session_id}  {start.astimezone():%Y-%m-%d %H:%M:%S}  {status}"]
    rows = []
    notes: list[list[str]] = []
    for hop in hops:
        elapsed_ms = (hop.time - start).total_seconds() * 1000
        rows.append(
            (
                f"+{elapsed_ms:.0f} ms",
                f"{_item(hop.source)} -> {_item(hop.target)}",
                short_class(hop.message_class),
                hop.status,
            )
        )
        notes.append(_hop_notes(hop))
    rendered = table(("time", "from -> to", "message", "status"), rows, indent="  ").splitlines()
    lines += rendered[:2]
    for line, hop_notes in zip(rendered[2:], notes, strict=True):
        lines.append(line)
        lines += ["      " + one_line(note, WIDTH - 6) for note in hop_notes]
    return "\n".join(lines)


def _hop_notes(hop: Any) -> list[str]:
    notes = []
    if hop.error:
        notes.append(f"error: {error_gist(hop.error)}")
    if short_class(hop.message_class) == DEAD_LETTER_CLASS and hop.kind == "Request":
        notes.append(f"dead letter: {dead_letter_reason(hop.body)}")
    return notes


def _item(name: str) -> str:
    """Item names without the `Python.` every item of this production carries."""
    return name.removeprefix("Python.")


def run_dlq(args: argparse.Namespace) -> int:
    """The dead-letter topic, newest first: each record's reason, origin and size."""
    # Deferred: kafka-python, which the other commands never import.
    from kafka_demo.local_mode.cli.dead_letters import read_topic

    topic = LocalConfig().dlq_topic
    require_broker(args.bootstrap)
    try:
        records = read_topic(args.bootstrap, topic)
    except TimeoutError as error:
        raise CommandError(str(error)) from None
    if records is None:
        raise CommandError(f"no topic {topic} at {args.bootstrap}; `kafka-demo local` creates it")
    if not records:
        print(f"no dead letter in {topic}")
        return 0
    shown = sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))[-args.last :]
    print(f"the last {len(shown)} of {len(records)} dead letter(s) in {topic}, newest first")
    for record in reversed(shown):
        headers = {key: value.decode("utf-8", "replace") for key, value in record.headers}
        key = headers.get("dlq.key") or (record.key or b"").decode("utf-8", "replace")
        print()
        print(
            f"{topic}[{record.partition}]@{record.offset}  from {_origin(headers)}"
            f"  {len(record.value or b'')} byte(s)"
        )
        if key:
            print("    " + one_line(f"key: {key}", WIDTH - 4))
        print("    " + one_line(f"reason: {headers.get('dlq.reason', '(none)')}", WIDTH - 4))
        print("    " + one_line(f"value: {record.value!r}", WIDTH - 4))
    return 0


UNKNOWN = "-1"
"""What a dead letter's dlq.partition and dlq.offset hold when its door did not know them."""


def _origin(headers: dict[str, str]) -> str:
    """Where a dead letter came from, as far as it is known: `topic[partition]@offset`, or the
    topic alone for a record EnsLib.Kafka.Service handed over (its message has no partition or
    offset), never a made-up coordinate."""
    topic = headers.get("dlq.topic", "?")
    partition = headers.get("dlq.partition", "?")
    offset = headers.get("dlq.offset", "?")
    if partition == UNKNOWN and offset == UNKNOWN:
        return f"{topic} (partition and offset not given by the IRIS adapter)"
    return f"{topic}[{partition}]@{offset}"
