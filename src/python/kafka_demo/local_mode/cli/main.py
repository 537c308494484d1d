"""`kafka-demo`: run and inspect the production on one machine, without IRIS or Docker.

A development and try-out mode; IRIS stays the engine for real use.
"""

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from kafka_demo.local_mode.cli.common import CommandError
from kafka_demo.local_mode.cli.inspect import run_dlq, run_products, run_trace
from kafka_demo.local_mode.cli.produce import run_produce
from kafka_demo.local_mode.cli.replay import run_replay
from kafka_demo.local_mode.cli.run import run_local
from kafka_demo.local_mode.config import (
    DEFAULT_DURABILITY,
    DEFAULT_EMBEDDED_BROKER,
    DURABILITIES,
    EMBEDDED_BROKER_PORT,
    EMBEDDED_BROKERS,
    KAFKA_DOORS,
    LOCAL_BOOTSTRAP,
    LOCAL_DB_URL,
)

DISTRIBUTION = "iris-kafka-demo"
DEFAULT_PORT = 5000
DB_HELP = "the local mode's database: a path to an SQLite file, or a SQLAlchemy URL"
BOOTSTRAP_HELP = "the Kafka broker (HOST:PORT) that `kafka-demo local` runs or uses"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()  # `kafka-demo` alone: what it can do, not an error about it
        return 2
    if unknown:
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    _configure_logging(args.log_level)
    try:
        code = args.run(args)
        sys.stdout.flush()
    except CommandError as error:
        print(f"kafka-demo {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # The reader (`| head`) has gone: stop writing, quietly, as a shell command does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kafka-demo", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(metavar="COMMAND", dest="command")

    local = _command(
        commands,
        "local",
        run_local,
        "run the whole production here, in the foreground",
        "Start the embedded Kafka broker (Tansu, or Apache Kafka with --broker), create the"
        " topics, run every item the local mode can run and serve app.py's REST contract with"
        " gunicorn. Ctrl-C, SIGTERM or SIGHUP stops it.",
        log_level=logging.INFO,
    )
    local.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port of the REST door")
    local.add_argument("--db", default=LOCAL_DB_URL, help=DB_HELP + " (created if missing)")
    local.add_argument(
        "--durability",
        choices=DURABILITIES,
        default=DEFAULT_DURABILITY,
        help="normal: a commit does not wait for the disk, as IRIS's default SynchCommit=0"
        " (survives a crash of the process; a power cut may lose the last commits); full:"
        " every commit waits for the disk",
    )
    local.add_argument(
        "--pool-size",
        type=_positive_int,
        metavar="N",
        default=argparse.SUPPRESS,  # no "(default: None)" beside the default it states
        help="PoolSize of Python.KafkaDemoBP and Python.LocalStorageBO: jobs that each handle"
        " one message at a time (default: the production's, 1)",
    )
    local.add_argument(
        "--disable",
        action="append",
        choices=KAFKA_DOORS,
        metavar="ITEM",
        default=argparse.SUPPRESS,  # none; no "(default: None)" in the help
        help=f"do not run this Kafka door ({' or '.join(KAFKA_DOORS)}), as clearing its"
        " Enabled box in the Management Portal does: the other one reads the whole topic",
    )
    local.add_argument(
        "--bootstrap",
        metavar="HOST:PORT",
        help="use this running Kafka broker instead of starting the embedded one",
    )
    local.add_argument(
        "--broker",
        choices=EMBEDDED_BROKERS,
        default=DEFAULT_EMBEDDED_BROKER,
        help="the broker to start (unless --bootstrap): tansu keeps records in memory only, so"
        " what it acknowledged and the production had not stored yet is lost if the process"
        " dies; apache-kafka (Java 17 and Kafka's jars) keeps them in a folder beside --db"
        " (DB.kafka)",
    )
    local.add_argument(
        "--broker-port",
        type=int,
        default=EMBEDDED_BROKER_PORT,
        help="port of the embedded broker (unless --bootstrap)",
    )

    produce = _command(
        commands,
        "produce",
        run_produce,
        "publish products through KafkaDemoBO, or raw bytes",
        "Publish a product to the topic through the real KafkaDemoBO (the twin of"
        " `iop --test Python.KafkaDemoBO`), checked by the business rules first; or, with"
        " --raw, send bytes as they are, valid or not, to watch a poison record reach"
        " kafka_demo.dlq.",
    )
    produce.add_argument("--name", help="the product's name")
    produce.add_argument("--price", help="the product's price, e.g. 10.50")
    produce.add_argument(
        "--raw",
        metavar="TEXT",
        help="send TEXT as the record's value instead of a product (\\xNN for any byte)",
    )
    produce.add_argument(
        "--key",
        help="with --raw: the Kafka key of every record sent (a unique one each otherwise);"
        " records with one key and different values are successive states, each stored",
    )
    produce.add_argument(
        "--no-key",
        action="store_true",
        help="with --raw: send records without a Kafka key (each gets a unique key otherwise);"
        " such a record read twice through EnsLib.Kafka.Service's door is stored twice",
    )
    produce.add_argument("--count", type=_positive_int, default=1, help="how many records")
    produce.add_argument("--bootstrap", default=LOCAL_BOOTSTRAP, help=BOOTSTRAP_HELP)

    products = _command(
        commands,
        "products",
        run_products,
        "print the stored products",
        "Print the product table of the local mode's database, with each row's route.",
    )
    products.add_argument("--db", default=LOCAL_DB_URL, help=DB_HELP)
    products.add_argument(
        "--last",
        type=_positive_int,
        metavar="N",
        default=argparse.SUPPRESS,
        help="print only the N latest products (default: all)",
    )

    trace = _command(
        commands,
        "trace",
        run_trace,
        "print each input's session, hop by hop",
        "Print the last sessions, newest first as /messages lists them: each hop's time,"
        " items, message class and status, with errors and dead-letter reasons cut to one"
        " line.",
    )
    trace.add_argument("--db", default=LOCAL_DB_URL, help=DB_HELP)
    trace.add_argument("--last", type=_positive_int, default=10, help="number of sessions")

    dlq = _command(
        commands,
        "dlq",
        run_dlq,
        "print the dead letters in kafka_demo.dlq",
        "Print the records of the dead-letter topic, newest first: why each was refused"
        " (dlq.reason), where it came from (dlq.topic, dlq.partition, dlq.offset), its size"
        " and its value. Reading changes nothing on the broker.",
    )
    dlq.add_argument("--last", type=_positive_int, default=10, help="number of dead letters")
    dlq.add_argument("--bootstrap", default=LOCAL_BOOTSTRAP, help=BOOTSTRAP_HELP)

    replay = _command(
        commands,
        "replay",
        run_replay,
        "send again every Kafka input whose processing ended in an error",
        "The twin of the Message Viewer's Resend: each Kafka input whose session ended in"
        " an error goes to its target again, once. Runs only the BP and the operations.",
    )
    replay.add_argument("--db", default=LOCAL_DB_URL, help=DB_HELP)
    replay.add_argument("--bootstrap", default=LOCAL_BOOTSTRAP, help=BOOTSTRAP_HELP)
    return parser


def _command(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
    name: str,
    run: Callable[[argparse.Namespace], int],
    summary: str,
    description: str,
    log_level: int = logging.WARNING,
) -> argparse.ArgumentParser:
    """A subcommand whose --help shows its description and every default."""
    command = commands.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    command.set_defaults(run=run, parser=command, log_level=log_level)
    return command


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed)"


def _configure_logging(level: int) -> None:
    """`local` logs what it starts and stops; the short commands only what goes wrong."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    # kafka-python 3 warns whenever one step of its network loop takes over 0.1 s, which
    # a busy machine causes with nothing wrong; its errors still show.
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)


if __name__ == "__main__":
    sys.exit(main())
