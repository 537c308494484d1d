"""What `kafka-demo local` runs against; free of heavy imports, so gunicorn's master stays small."""

from dataclasses import dataclass
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[2]
"""src/python: where settings.py and app.py live."""


@dataclass(frozen=True)
class LocalConfig:
    db_url: str = "sqlite:///kafka_demo.db"
    bootstrap: str = "127.0.0.1:29092"
    topic: str = "kafka_demo"
    dlq_topic: str = "kafka_demo.dlq"
    group_id: str = "demo-group"
    # Tansu completes a consumer-group join only after about this long.
    max_poll_interval_ms: int = 3000
    # So that one poll's records are handed over well within max_poll_interval_ms.
    max_poll_records: int = 100
