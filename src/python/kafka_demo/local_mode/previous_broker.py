"""A new embedded broker has brand-new topics: the offsets kept for the previous one must go.

Done once per broker start, in `kafka-demo local`'s own process before gunicorn
forks its worker, so a worker that gunicorn starts again keeps the offsets of
the broker that is still running.
"""

from sqlalchemy import create_engine

from kafka_demo.local_mode.iris_standin import GlobalRef, SqlGlobals
from kafka_demo.offsets import OFFSET_GLOBAL


def forget_offsets(db_url: str, topic: str) -> bool:
    """Kill ^KafkaDemo.Offset(topic) if it has entries; True when there was something to forget."""
    engine = create_engine(db_url)
    try:
        offsets = GlobalRef(SqlGlobals(engine), OFFSET_GLOBAL)
        if offsets.data([topic]) < 10:  # $DATA: 10 or 11 when nodes lie below (topic)
            return False
        offsets.kill([topic])
        return True
    finally:
        engine.dispose()
