"""`kafka-demo local`: the whole production in the foreground, on our own broker and ports.

Every port is checked before anything starts, and the embedded broker that
answers must be the process we started: a second instance on the same ports
fails at once instead of consuming from the first one's broker.
"""

import argparse
import logging
from typing import TYPE_CHECKING

from kafka_demo.local_mode.commands.common import CommandError, database_url
from kafka_demo.local_mode.ports import PortInUse, broker_answers, port_is_free

if TYPE_CHECKING:
    from kafka_demo.local_mode.broker import EmbeddedBroker
    from kafka_demo.local_mode.config import LocalConfig

HTTP_HOST = "127.0.0.1"
EXTERNAL_BROKER_TIMEOUT_S = 10.0
_log = logging.getLogger("kafka_demo.local_mode")


def run_local(args: argparse.Namespace) -> int:
    from kafka_demo.local_mode.broker import EmbeddedBroker, create_topics
    from kafka_demo.local_mode.config import LocalConfig
    from kafka_demo.local_mode.server import LocalServer

    db_url = database_url(args.db)
    _require_free_http_port(args.port)
    broker = None
    if args.bootstrap:
        _require_external_broker(args.bootstrap)
    else:
        broker = _start_embedded_broker(EmbeddedBroker(port=args.broker_port))
    try:
        config = LocalConfig(db_url=db_url, bootstrap=args.bootstrap or broker.bootstrap)
        if broker is not None:
            _forget_previous_broker(config)
        create_topics(config.bootstrap, {config.topic: 2, config.dlq_topic: 1})
        LocalServer(config, args.port, host=HTTP_HOST).run()
    finally:
        if broker is not None and broker.stop():
            _log.info("stopped the embedded Kafka broker")
    return 0


def _forget_previous_broker(config: "LocalConfig") -> None:
    """Logged only when something of a previous broker was there to forget."""
    from kafka_demo.local_mode.previous_broker import forget_previous_broker

    had_offsets, retired = forget_previous_broker(config.db_url, config.topic)
    if had_offsets or retired:
        _log.info(
            "new embedded broker: forgot the offsets of the previous one"
            " and the source keys of its %d stored record(s)",
            retired,
        )


def _require_free_http_port(port: int) -> None:
    if not port_is_free(HTTP_HOST, port):
        raise CommandError(
            f"port {port} is already in use (another kafka-demo local?), so the REST door"
            " cannot listen there; choose another with --port PORT"
        )


def _require_external_broker(bootstrap: str) -> None:
    """One of the listed brokers (a cluster's, comma-separated) must answer."""
    servers = [server.strip() for server in bootstrap.split(",") if server.strip()]
    if not any(broker_answers(server, EXTERNAL_BROKER_TIMEOUT_S) for server in servers):
        raise CommandError(
            f"no Kafka broker answers at {bootstrap} (--bootstrap); start it, or leave"
            " --bootstrap out to run the embedded broker"
        )


def _start_embedded_broker(broker: "EmbeddedBroker") -> "EmbeddedBroker":
    try:
        broker.start()
    except PortInUse as taken:
        raise CommandError(
            f"port {taken.port} is already in use (another kafka-demo local?), so the embedded"
            f" broker cannot listen there; choose another with --broker-port PORT, or use the"
            f" broker there with --bootstrap {broker.host}:{taken.port}"
        ) from None
    except (RuntimeError, OSError) as error:  # TimeoutError is an OSError
        raise CommandError(f"the embedded broker (Tansu) did not start: {error}") from None
    _log.info(
        "started the embedded Kafka broker (Tansu, pid %s) on %s", broker.pid, broker.bootstrap
    )
    return broker
