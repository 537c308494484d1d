"""The production's databases opened, their tables made: the products and globals, the trace.

On a PostgreSQL server, which several instances share, opening either makes every table of
the local mode at once, under the schema lock (database.create_tables_together), so that
instances started together never race to create one.
"""

from sqlalchemy import Engine, MetaData

from kafka_demo.local_mode.config import DEFAULT_DURABILITY, Durability
from kafka_demo.local_mode.database import create_tables_together, open_database, trace_url
from kafka_demo.local_mode.instances import InstanceRow
from kafka_demo.local_mode.trace.store import HopRow, create_trace_tables
from kafka_demo.models import ProductRow


def open_product_database(db_url: str, durability: Durability = DEFAULT_DURABILITY) -> Engine:
    """An engine on the local mode's product database, its `product` table made if missing."""
    # Deferred: IoP (storage reaches IRIS through it), which `kafka-demo trace` never imports.
    from kafka_demo.storage import create_product_table

    engine = _open_shared(db_url, durability)
    create_product_table(engine)
    return engine


def open_trace_database(db_url: str, durability: Durability = DEFAULT_DURABILITY) -> Engine:
    """An engine on the trace of the production whose products are on `db_url`, its tables
    made if missing."""
    engine = _open_shared(trace_url(db_url), durability)
    create_trace_tables(engine)
    return engine


def _open_shared(db_url: str, durability: Durability) -> Engine:
    engine = open_database(db_url, durability)
    if engine.dialect.name == "postgresql":
        create_tables_together(engine, _shared_schemas())
    return engine


def _shared_schemas() -> list[MetaData]:
    """Each schema the local mode keeps on a shared server, by one of its tables."""
    # Deferred: IoP (the stand-in's module), which `kafka-demo trace` on SQLite never imports.
    from kafka_demo.local_mode.iris.iris_standin import GlobalNode

    return [table.metadata for table in (ProductRow, GlobalNode, HopRow, InstanceRow)]
