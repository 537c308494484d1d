"""A new embedded broker has brand-new topics: what was kept about the previous one must go.

Done once per broker start, in `kafka-demo local`'s own process before gunicorn
forks its worker, so a worker that gunicorn starts again keeps what belongs to
the broker that is still running.
"""

from sqlalchemy import create_engine

from kafka_demo import storage
from kafka_demo.local_mode.iris_standin import GlobalRef, SqlGlobals
from kafka_demo.offsets import OFFSET_GLOBAL


def forget_previous_broker(db_url: str, topic: str) -> tuple[bool, int]:
    """Kill ^KafkaDemo.Offset(topic), and clear the source keys of the topic's stored records,
    whose offsets the new broker gives out again from 0. Returns whether there were offsets,
    and how many source keys were cleared."""
    engine = create_engine(db_url)
    try:
        offsets = GlobalRef(SqlGlobals(engine), OFFSET_GLOBAL)
        had_offsets = offsets.data([topic]) >= 10  # $DATA: 10 or 11 when nodes lie below
        if had_offsets:
            offsets.kill([topic])
        return had_offsets, storage.retire_sources(engine, topic)
    finally:
        engine.dispose()
