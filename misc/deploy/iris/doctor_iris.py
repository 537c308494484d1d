"""The doctor's look inside IRIS, run in the IRIS container by misc/deploy/doctor.sh.

    python3 misc/deploy/iris/doctor_iris.py items    one verdict line per production item
    python3 misc/deploy/iris/doctor_iris.py row NAME  exit 0 once SQLUser.product has NAME

It reads IRIS over SQL with SQLAlchemy (sqlalchemy-iris, installed in the image), at
``iris://$IRISUSERNAME:$IRISPASSWORD@localhost:1972/IRISAPP`` unless DOCTOR_SQL_URL
says otherwise. Queries are built with SQLAlchemy Core, so they carry no dialect-
specific SQL (TOP or LIMIT is the dialect's business).

Sources for the tables and columns:
- Ens_Util.Log (ID, ConfigName, Text, TimeLogged, Type; Type 2 = Error): IoP
  runtime/director.py ``format_log``/``read_top_log`` (IRIS-NOTES 8.2).
- Ens_Config.Item (Name, Enabled, Production): public tools query
  ``SELECT Name, ClassName, Enabled FROM Ens_Config.Item WHERE Production = ?``
  (third-party; not read in the class reference).
- SQLUser.product: the table every storage route writes (README).
UNCONFIRMED: whether xDBC returns Type as its number or its display name, and
TimeLogged as UTC text or a datetime; both forms are accepted below.
"""

import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import sqlalchemy as sa

PRODUCTION = os.environ.get("IRIS_PRODUCTION", "Python.Production")
ERROR_TYPES = {"2", "Error"}
LOG_ROWS = 500

LOG = sa.table(
    "Log",
    sa.column("ID"),
    sa.column("ConfigName"),
    sa.column("Text"),
    sa.column("TimeLogged"),
    sa.column("Type"),
    schema="Ens_Util",
)
ITEM = sa.table(
    "Item", sa.column("Name"), sa.column("Enabled"), sa.column("Production"), schema="Ens_Config"
)
PRODUCT = sa.table("product", sa.column("name"), schema="SQLUser")

# Likely cause and fix per item, printed with its errors.
HINTS = {
    "EnsLib.Kafka.Service": (
        "the %Java Server or IRIS's bundled Kafka client cannot reach the broker",
        "see the Java check below; if the text says UnsupportedVersion, set"
        " KAFKA_IMAGE=apache/kafka:3.9.1 in .env and run docker compose up -d",
    ),
    "Python.KafkaDemoBS": (
        "Kafka is unreachable from IRIS or the topic is missing",
        "docker compose ps kafka kafka-init; check KAFKA_BOOTSTRAP_SERVERS",
    ),
    "Python.KafkaDemoBO": (
        "Kafka is unreachable from IRIS",
        "docker compose ps kafka; check KAFKA_BOOTSTRAP_SERVERS",
    ),
    "Python.LocalStorageBO": (
        "the IRISAPP database or STORAGE_CONNECTION_STRING",
        "docker compose exec iris iop --log 50",
    ),
}
DEFAULT_HINT = ("an error in the item", "docker compose exec iris iop --log 50")
OWN_HINT = " -- likely cause: "
"""An error text that carries its own cause and fix, in the doctor's own form."""


@dataclass(frozen=True)
class LogEntry:
    config_name: str
    text: str
    logged: datetime | None
    is_error: bool


def sql_url(environ: Mapping[str, str] = os.environ) -> str:
    if environ.get("DOCTOR_SQL_URL"):
        return environ["DOCTOR_SQL_URL"]
    user = quote(environ.get("IRISUSERNAME", "SuperUser"), safe="")
    password = quote(environ.get("IRISPASSWORD", "SYS"), safe="")
    return f"iris://{user}:{password}@localhost:1972/IRISAPP"


def production_items(connection: sa.Connection, production: str) -> dict[str, bool]:
    """Item name -> enabled, as the production's configuration holds them."""
    query = sa.select(ITEM.c.Name, ITEM.c.Enabled).where(ITEM.c.Production == production)
    return {str(name): _true(enabled) for name, enabled in connection.execute(query)}


def recent_log(connection: sa.Connection, rows: int = LOG_ROWS) -> list[LogEntry]:
    query = (
        sa.select(LOG.c.ConfigName, LOG.c.Text, LOG.c.TimeLogged, LOG.c.Type)
        .order_by(LOG.c.ID.desc())
        .limit(rows)
    )
    return [
        LogEntry(str(name or ""), str(text or ""), _timestamp(logged), str(kind) in ERROR_TYPES)
        for name, text, logged, kind in connection.execute(query)
    ]


def item_verdicts(
    items: dict[str, bool], log: Sequence[LogEntry], since: datetime, minutes: int
) -> list[tuple[bool, str]]:
    """(passed, line) per item, in name order."""
    if not items:
        return [
            (
                False,
                f"FAIL items: {PRODUCTION} has no items in IRISAPP -- likely cause: the"
                " production was not registered at build time; fix: docker compose build"
                " --no-cache iris, and read the build log's ERROR lines",
            )
        ]
    verdicts = []
    for name in sorted(items):
        errors = [e for e in log if e.config_name == name and e.is_error and _after(e, since)]
        if not items[name]:
            verdicts.append((False, f"FAIL item {name}: disabled -- fix: enable it in the Portal"))
        elif errors:
            last, cause, fix = _own_hint(" ".join(errors[0].text.split()))
            if not cause:
                cause, fix = HINTS.get(name, DEFAULT_HINT)
            last = last[:200]
            verdicts.append(
                (
                    False,
                    f"FAIL item {name}: {len(errors)} error(s) in the last {minutes} min,"
                    f" last: {last} -- likely cause: {cause}; fix: {fix}",
                )
            )
        else:
            verdicts.append(
                (True, f"PASS item {name}: enabled, no error logged in the last {minutes} min")
            )
    return verdicts


def _own_hint(text: str) -> tuple[str, str, str]:
    """(what, cause, fix) of an error that names its own cause and fix, as LocalStorageBO's
    start-up check does (kafka_demo.storage_driver: "no DB-API for the storage URL ...
    -- likely cause: ...; fix: ..."); (text, "", "") for any other."""
    what, marker, rest = text.partition(OWN_HINT)
    cause, separator, fix = rest.partition("; fix: ")
    if not marker or not separator:
        return text, "", ""
    return what, cause, fix


def has_product(connection: sa.Connection, name: str) -> bool:
    query = sa.select(sa.func.count()).select_from(PRODUCT).where(PRODUCT.c.name == name)
    return int(connection.execute(query).scalar() or 0) > 0


def check_items(engine: sa.Engine, minutes: int, now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    with engine.connect() as connection:
        items = production_items(connection, PRODUCTION)
        log = recent_log(connection)
    verdicts = item_verdicts(items, log, now - timedelta(minutes=minutes), minutes)
    for _, line in verdicts:
        print(line)
    return 0 if all(passed for passed, _ in verdicts) else 1


def wait_for_product(engine: sa.Engine, name: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        with engine.connect() as connection:
            if has_product(connection, name):
                return 0
        if time.monotonic() >= deadline:
            return 1
        time.sleep(1)


def main(argv: Sequence[str], engine: sa.Engine | None = None) -> int:
    if not argv or argv[0] not in {"items", "row"} or (argv[0] == "row" and len(argv) < 2):
        print(__doc__, file=sys.stderr)
        return 2
    engine = engine or sa.create_engine(sql_url(), poolclass=sa.pool.NullPool)
    try:
        if argv[0] == "items":
            return check_items(engine, int(os.environ.get("DOCTOR_SINCE_MINUTES", "10")))
        return wait_for_product(engine, argv[1], float(os.environ.get("DOCTOR_ROW_SECONDS", "30")))
    except sa.exc.SQLAlchemyError as error:
        first_line = str(error).splitlines()[0][:200]
        print(
            f"FAIL IRIS SQL: {first_line} -- likely cause: IRIS is not up or the password"
            " differs; fix: docker compose ps iris, or run the doctor with"
            " DOCTOR_SQL_URL=iris+emb:///IRISAPP"
        )
        return 1


def _true(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes"}


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _after(entry: LogEntry, since: datetime) -> bool:
    # An entry whose time cannot be read counts as recent: better a false alarm than a miss.
    return entry.logged is None or entry.logged >= since


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
