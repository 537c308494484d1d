"""`kafka-demo`: run and inspect the production on one machine, without IRIS or Docker.

A development and try-out mode; IRIS stays the engine for real use.
"""

import argparse
import logging
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from kafka_demo.defaults import KAFKA_DEMO_BO
from kafka_demo.local_mode.config import EMBEDDED_BROKER_PORT, LOCAL_BOOTSTRAP, LOCAL_DB_URL


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging()
    return args.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kafka-demo", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    local = commands.add_parser("local", help="run the whole production here, in the foreground")
    local.add_argument("--port", type=int, default=5000, help="HTTP port of the REST door")
    local.add_argument("--db", default=LOCAL_DB_URL, help=f"database URL (default {LOCAL_DB_URL})")
    local.add_argument("--bootstrap", help="use this Kafka broker (HOST:PORT) instead of Tansu")
    local.add_argument(
        "--broker-port", type=int, default=EMBEDDED_BROKER_PORT, help="port of the embedded broker"
    )
    local.set_defaults(run=run_local)

    produce = commands.add_parser("produce", help="publish products through KafkaDemoBO")
    produce.add_argument("--name", required=True)
    produce.add_argument("--price", required=True)
    produce.add_argument("--count", type=int, default=1)
    produce.add_argument("--bootstrap", default=LOCAL_BOOTSTRAP)
    produce.set_defaults(run=run_produce)

    products = commands.add_parser("products", help="print the stored products")
    products.add_argument("--db", default=LOCAL_DB_URL)
    products.set_defaults(run=run_products)

    trace = commands.add_parser("trace", help="print each input's session, hop by hop")
    trace.add_argument("--db", default=LOCAL_DB_URL)
    trace.add_argument("--last", type=int, default=10, help="number of sessions (default 10)")
    trace.set_defaults(run=run_trace)
    replay = commands.add_parser(
        "replay", help="send again every Kafka input whose processing ended in an error"
    )
    replay.add_argument("--db", default=LOCAL_DB_URL)
    replay.add_argument("--bootstrap", default=LOCAL_BOOTSTRAP)
    replay.set_defaults(run=run_replay)
    return parser


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)


def run_local(args: argparse.Namespace) -> int:
    from kafka_demo.local_mode.broker import EmbeddedBroker, create_topics
    from kafka_demo.local_mode.config import LocalConfig
    from kafka_demo.local_mode.server import LocalServer

    log = logging.getLogger("kafka_demo.local_mode")
    broker = None
    if not args.bootstrap:
        broker = EmbeddedBroker(port=args.broker_port).start()
        log.info("started the embedded Kafka broker (Tansu) on %s", broker.bootstrap)
    try:
        config = LocalConfig(
            db_url=args.db,
            bootstrap=args.bootstrap or broker.bootstrap,
            fresh_broker=broker is not None,
        )
        create_topics(config.bootstrap, {config.topic: 2, config.dlq_topic: 1})
        LocalServer(config, args.port).run()
    finally:
        if broker is not None and broker.stop():
            log.info("stopped the embedded Kafka broker")
    return 0


def run_produce(args: argparse.Namespace) -> int:
    from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer

    from kafka_demo.local_mode import iris_standin
    from kafka_demo.local_mode.router import LocalProduction
    from kafka_demo.local_mode.runtime import load_production
    from kafka_demo.msg import KafkaTestMessage

    try:
        price = Decimal(args.price)
    except InvalidOperation:
        print(f"kafka-demo produce: --price must be a number, not {args.price!r}", file=sys.stderr)
        return 2
    iris_standin.install(iris_standin.IrisStandIn())
    definition = load_production()
    production = LocalProduction(
        definition,
        settings={KAFKA_DEMO_BO: {"kafka_broker": args.bootstrap}},
        skip={
            ref.name: "not needed to produce"
            for ref in definition.items
            if ref.name != KAFKA_DEMO_BO
        },
    )
    production.start()
    try:
        for _ in range(args.count):
            request = dispatch_serializer(KafkaTestMessage(name=args.name, price=price))
            sent = dispatch_deserializer(
                production.deliver("kafka-demo produce", KAFKA_DEMO_BO, request, sync=True)
            )
            print(f"sent to {sent.topic}[{sent.partition}]@{sent.offset}")
    except Exception as error:
        print(f"kafka-demo produce: {error}", file=sys.stderr)
        return 1
    finally:
        production.stop()
    return 0


def run_replay(args: argparse.Namespace) -> int:
    """The local twin of the Message Viewer's Resend: each failed input goes to its target again."""
    from kafka_demo.local_mode.config import LocalConfig
    from kafka_demo.local_mode.iris_kafka_service import IRIS_CLASS, KafkaMessage
    from kafka_demo.local_mode.iris_standin import IOPMessage
    from kafka_demo.local_mode.router import DeliveryError
    from kafka_demo.local_mode.runtime import LocalRuntime
    from kafka_demo.local_mode.sql_trace import failed_inputs, mark_resent

    # The local mode's runtime without its poller: replay reads the trace, not the topic.
    runtime = LocalRuntime(LocalConfig(db_url=args.db, bootstrap=args.bootstrap), poll=False)
    production = runtime.start()
    failures = 0
    try:
        for hop in failed_inputs(runtime.engine):
            if hop.message_class == IRIS_CLASS:
                message: object = KafkaMessage.from_json_text(hop.body)
            else:
                message = IOPMessage.holding(hop.message_class, hop.body)
            try:
                production.deliver(hop.source, hop.target, message, sync=True)
            except DeliveryError as error:
                failures += 1
                print(f"message {hop.id} (session {hop.session_id}) failed again: {error}")
                continue
            mark_resent(runtime.engine, hop.id)
            print(f"message {hop.id} (session {hop.session_id}) resent to {hop.target}")
    finally:
        runtime.stop()
    return 1 if failures else 0


def run_products(args: argparse.Namespace) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from kafka_demo.local_mode.runtime import open_database
    from kafka_demo.local_mode.sql_trace import stored_routes
    from kafka_demo.models import Base, ProductRow

    engine = open_database(args.db)
    Base.metadata.create_all(engine, checkfirst=True)
    routes = stored_routes(engine)
    with Session(engine) as session:
        rows = [
            (str(r.id), routes.get(r.id, "-"), r.name, f"{Decimal(r.price):.2f}")
            for r in session.scalars(select(ProductRow).order_by(ProductRow.id))
        ]
    print(_table(("id", "route", "name", "price"), rows))
    print(f"{len(rows)} product(s)")
    return 0


def run_trace(args: argparse.Namespace) -> int:
    from kafka_demo.local_mode.runtime import open_database
    from kafka_demo.local_mode.sql_trace import last_sessions

    sessions = last_sessions(open_database(args.db), args.last)
    for session in sessions:
        print(f"session {session.id}")
        rows = [
            (
                hop.time.strftime("%H:%M:%S.%f")[:-3],
                hop.source,
                hop.target,
                hop.kind,
                # The project's messages by class name; IRIS's (EnsLib.Kafka.Message) in full.
                hop.message_class.removeprefix("kafka_demo.msg."),
                hop.status,
                hop.error,
            )
            for hop in session.hops
        ]
        print(_table(("time", "source", "target", "type", "message", "status", "error"), rows))
    if not sessions:
        print("no message yet")
    return 0


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


if __name__ == "__main__":
    sys.exit(main())
