"""`kafka-demo local`: the whole production in the foreground, on our own broker and ports.

Every argument, the database and every port are checked before anything starts.
The database is claimed for as long as this runs (kafka_demo.local_mode.claim):
a second instance on the same database fails at once, naming the first, before it
starts a broker or touches a row. The embedded broker that answers must be the
process we started: a second instance on the same ports fails at once instead of
consuming from the first one's broker.
"""

import argparse
import logging
import secrets
from typing import TYPE_CHECKING

from kafka_demo.local_mode.broker.ports import PortInUse, broker_answers, port_is_free
from kafka_demo.local_mode.cli.common import CommandError, first_line, usable_database
from kafka_demo.local_mode.config import LocalConfig

if TYPE_CHECKING:
    from kafka_demo.local_mode.broker.process import BrokerProcess
    from kafka_demo.local_mode.claim import DatabaseClaim
    from kafka_demo.local_mode.instances import InstanceRegistration

HTTP_HOST = "127.0.0.1"
EXTERNAL_BROKER_TIMEOUT_S = 10.0
MAX_PORT = 65535
_log = logging.getLogger(__name__)


def run_local(args: argparse.Namespace) -> int:
    # Deferred: kafka-python, SQLAlchemy and gunicorn, which a refused start never imports.
    from kafka_demo.local_mode.broker.tansu import create_topics
    from kafka_demo.local_mode.instances import shares_the_database
    from kafka_demo.local_mode.server import LocalServer

    _require_port_number("--port", args.port)
    if not args.bootstrap:
        _require_port_number("--broker-port", args.broker_port)
    db_url = usable_database(args.db, create=True)
    if shares_the_database(db_url):
        registration = _register_instance(db_url, args)
        token, instance, release = (
            registration.instance.token,
            registration.instance.id,
            registration.release,
        )
    else:
        claim = _claim_database(db_url, args)
        token, instance, release = claim.holder.token, None, claim.release
    try:
        _require_free_http_port(args.port)
        broker = None
        bootstrap = args.bootstrap
        if bootstrap:
            _require_external_broker(bootstrap)
        else:
            broker = _start_embedded_broker(_embedded_broker(args.broker, db_url, args.broker_port))
            bootstrap = broker.bootstrap
        try:
            config = LocalConfig(
                db_url=db_url,
                bootstrap=bootstrap,
                durability=args.durability,
                pool_size=getattr(args, "pool_size", None),
                instance=instance,
                disabled=tuple(getattr(args, "disable", ())),
            )
            create_topics(config.bootstrap, {config.topic: 2, config.dlq_topic: 1})
            _wait_for_group_coordinator(broker, config.group_id)
            LocalServer(config, args.port, host=HTTP_HOST, token=token).run()
        finally:
            if broker is not None and broker.stop():
                _log.info("stopped the embedded Kafka broker")
    finally:
        release()
    return 0


def _require_port_number(flag: str, port: int) -> None:
    if not 1 <= port <= MAX_PORT:
        raise CommandError(
            f"{flag} {port} is not a TCP port; choose one from 1 to {MAX_PORT}", exit_code=2
        )


def _claim_database(db_url: str, args: argparse.Namespace) -> "DatabaseClaim":
    """This instance's claim on its database, or one line naming the instance that holds it."""
    # Deferred: SQLAlchemy, which `kafka-demo --help` and a refused start never import.
    from kafka_demo.local_mode.claim import DatabaseClaim, DatabaseInUse

    broker = args.bootstrap or f"{HTTP_HOST}:{args.broker_port}"
    try:
        return DatabaseClaim.acquire(db_url, "local", port=args.port, broker=broker)
    except DatabaseInUse as in_use:
        raise CommandError(
            f"{in_use}; one database serves one running production: stop that one first,"
            " or run this one on another database with --db PATH"
        ) from None
    except OSError as error:
        raise CommandError(
            f"cannot claim the database {db_url} for this instance: {error}"
        ) from None


def _register_instance(db_url: str, args: argparse.Namespace) -> "InstanceRegistration":
    """This instance among the productions that share a server database
    (kafka_demo.local_mode.instances), with the token its Resend endpoints ask for."""
    # Deferred: SQLAlchemy, which `kafka-demo --help` and a refused start never import.
    from sqlalchemy.exc import DBAPIError

    from kafka_demo.local_mode.claim import database_name
    from kafka_demo.local_mode.instances import InstanceRegistration

    broker = args.bootstrap or f"{HTTP_HOST}:{args.broker_port}"
    try:
        return InstanceRegistration.register(
            db_url, "local", secrets.token_urlsafe(24), port=args.port, broker=broker
        )
    except DBAPIError as error:
        raise CommandError(
            f"cannot register this instance on the database {database_name(db_url)}:"
            f" {first_line(error.orig)}"
        ) from None


def _require_free_http_port(port: int) -> None:
    if not port_is_free(HTTP_HOST, port):
        raise CommandError(
            f"port {port} is already in use (another kafka-demo local?), so the REST door"
            " cannot listen there; choose another with --port PORT"
        )


def _require_external_broker(bootstrap: str) -> None:
    """One of the listed brokers (a cluster's, comma-separated) must answer."""
    # Deferred: kafka-python, which `--help` and a refused start never import.
    from kafka_demo.kafka_io.clients import bootstrap_servers

    try:
        servers = bootstrap_servers(bootstrap)
    except ValueError:  # nothing but commas: no broker to ask
        servers = []
    if not any(broker_answers(server, EXTERNAL_BROKER_TIMEOUT_S) for server in servers):
        raise CommandError(
            f"no Kafka broker answers at {bootstrap} (--bootstrap); start it, or leave"
            " --bootstrap out to run the embedded broker"
        )


def _embedded_broker(kind: str, db_url: str, port: int) -> "BrokerProcess":
    """The broker `--broker` names, not started yet; Apache Kafka's log beside the database."""
    # Deferred: kafka-python (the broker's module), which `--help` and a refused start skip.
    from kafka_demo.local_mode.broker.tansu import EmbeddedBroker

    if kind == "tansu":
        return EmbeddedBroker(port=port)
    # Deferred: kafka-python (the broker's module), which `--help` and a refused start skip.
    from sqlalchemy.engine import make_url

    from kafka_demo.local_mode.broker.apache_kafka import LocalKafka, log_directory_beside
    from kafka_demo.local_mode.database import sqlite_path

    return LocalKafka(log_directory_beside(sqlite_path(make_url(db_url))), port=port)


def _wait_for_group_coordinator(broker: "BrokerProcess | None", group: str) -> None:
    """The production's consumers start once the embedded broker coordinates their group, so
    that a start is quiet (LocalKafka.wait_for_group_coordinator)."""
    if broker is None:
        return
    try:
        broker.wait_for_group_coordinator(group)
    except TimeoutError as error:
        raise CommandError(f"the embedded {broker.name} is not ready: {error}") from None


def _start_embedded_broker(broker: "BrokerProcess") -> "BrokerProcess":
    name = broker.name
    try:
        broker.start()
    except PortInUse as taken:
        raise CommandError(
            f"port {taken.port} is already in use (another kafka-demo local?), so the embedded"
            f" broker cannot listen there; choose another with --broker-port PORT, or use the"
            f" broker there with --bootstrap {broker.host}:{taken.port}"
        ) from None
    except (RuntimeError, OSError) as error:  # TimeoutError is an OSError
        raise CommandError(f"the embedded broker ({name}) did not start: {error}") from None
    _log.info(
        "started the embedded Kafka broker (%s, pid %s) on %s", name, broker.pid, broker.bootstrap
    )
    _log.info("%s", broker.durability())
    return broker
