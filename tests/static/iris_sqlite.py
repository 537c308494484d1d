"""SQLite holding the IRIS tables that the deploy scripts read.

Attached databases give the tables their IRIS schema names (Ens_Util.Log, Ens_Config.Item,
SQLUser.product), so the scripts' SQLAlchemy queries run unchanged.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

COLUMNS = {
    "Ens_Util.Log": "ID INTEGER PRIMARY KEY, ConfigName TEXT, Text TEXT, TimeLogged TEXT, Type",
    "Ens_Config.Item": "Name TEXT, Enabled INTEGER, Production TEXT",
    "SQLUser.product": "name TEXT, price NUMERIC",
}
"""The columns of each table that the scripts read, as IRIS names them."""


@contextmanager
def iris_tables(folder: Path, *tables: str) -> Iterator[sa.Engine]:
    """An engine on SQLite files in `folder` holding the named tables, empty."""
    schemas = sorted({table.split(".")[0] for table in tables})
    engine = sa.create_engine(f"sqlite:///{folder / 'main.db'}", poolclass=sa.pool.NullPool)

    @sa.event.listens_for(engine, "connect")
    def attach(connection: Any, _record: Any) -> None:
        for schema in schemas:
            connection.execute(f"ATTACH DATABASE '{folder / schema}.db' AS {schema}")

    with engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(f"CREATE TABLE {table} ({COLUMNS[table]})")
    try:
        yield engine
    finally:
        engine.dispose()
