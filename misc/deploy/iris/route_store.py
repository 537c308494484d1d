"""SQL for the build's three-route store through the production (misc/deploy/iris/build.sh).

    python3 misc/deploy/iris/route_store.py mark              the newest Ens_Util.Log ID
    python3 misc/deploy/iris/route_store.py logged-error ID   LocalStorageBO's newest error after ID
    python3 misc/deploy/iris/route_store.py read-back NAME... one row per NAME, read, deleted

build.sh stores one product per route with `iop --test Python.LocalStorageBO`, so the
production's own job stores it; this script reads the rows back through the production's
storage URL (STORAGE_CONNECTION_STRING, as settings.py reads it) and deletes them, and
names what IRIS logged when a route failed. A failure prints one
`route-store-error: <what>` line and exits 1. Ens_Util.Log's columns are those
misc/deploy/iris/doctor_iris.py reads (IoP runtime/director.py).
"""

import sys
from collections.abc import Sequence

import sqlalchemy as sa
from doctor_iris import ERROR_TYPES, LOG, PRODUCT

from kafka_demo.defaults import LOCAL_STORAGE_BO, Environment

TEXT_LIMIT = 300


class RouteStoreFailed(RuntimeError):
    """A row or a log entry is not what the store left."""


def newest_log_id(connection: sa.Connection) -> int:
    return int(connection.execute(sa.select(sa.func.max(LOG.c.ID))).scalar() or 0)


def logged_error(connection: sa.Connection, after_id: int, item: str = LOCAL_STORAGE_BO) -> str:
    """The newest error `item` logged after `after_id`, on one line; "" when none."""
    query = (
        sa.select(LOG.c.Text, LOG.c.Type)
        .where(after_id < LOG.c.ID, LOG.c.ConfigName == item)
        .order_by(LOG.c.ID.desc())
    )
    for text, kind in connection.execute(query):
        if str(kind) in ERROR_TYPES:
            return " ".join(str(text or "").split())[:TEXT_LIMIT]
    return ""


def read_back_and_delete(connection: sa.Connection, names: Sequence[str]) -> list[str]:
    """Check that each name has exactly one row, then delete those rows."""
    lines = []
    for name in names:
        count = connection.execute(
            sa.select(sa.func.count()).select_from(PRODUCT).where(PRODUCT.c.name == name)
        ).scalar()
        if count != 1:
            raise RouteStoreFailed(f"{name!r}: {count} row(s) in SQLUser.product, not 1")
        connection.execute(sa.delete(PRODUCT).where(PRODUCT.c.name == name))
        lines.append(f"{name!r}: read back by SQL and deleted")
    return lines


def main(argv: Sequence[str], engine: sa.Engine | None = None) -> int:
    command, arguments = (argv[0], list(argv[1:])) if argv else ("", [])
    if command not in {"mark", "logged-error", "read-back"} or (
        command != "mark" and not arguments
    ):
        print(__doc__, file=sys.stderr)
        return 2
    engine = engine or sa.create_engine(Environment.read().connection_string)
    try:
        with engine.begin() as connection:
            if command == "mark":
                print(newest_log_id(connection))
            elif command == "logged-error":
                print(logged_error(connection, int(arguments[0])))
            else:
                for line in read_back_and_delete(connection, arguments):
                    print(f"route-store: {line}")
    except (RouteStoreFailed, sa.exc.SQLAlchemyError, ValueError) as error:
        first_line = (str(error).splitlines() or [""])[0][:TEXT_LIMIT]
        print(f"route-store-error: {command}: {type(error).__name__}: {first_line}")
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
