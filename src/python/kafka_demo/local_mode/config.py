"""What `kafka-demo local` runs against; free of heavy imports, so gunicorn's master stays small."""

from dataclasses import dataclass
from typing import Literal

from kafka_demo import defaults

LOCAL_DB_URL = "sqlite:///kafka_demo.db"
"""The local mode's database: a file in the current folder."""
EMBEDDED_BROKER_PORT = 29092
"""The embedded broker's port; the same as docker-compose.yml's Kafka port for the host."""
EmbeddedBrokerKind = Literal["tansu", "apache-kafka"]
"""The broker `kafka-demo local` starts: Tansu, in memory, needs only the `local` extra; Apache
Kafka keeps its log on disk and needs Java (docs/local-mode.md, "Brokers")."""
EMBEDDED_BROKERS: tuple[EmbeddedBrokerKind, ...] = ("tansu", "apache-kafka")
DEFAULT_EMBEDDED_BROKER: EmbeddedBrokerKind = "tansu"
LOCAL_BOOTSTRAP = f"127.0.0.1:{EMBEDDED_BROKER_PORT}"

Durability = Literal["normal", "full"]
"""How a commit reaches the disk (kafka_demo.local_mode.database): `normal`, IRIS's default
(a commit does not wait for the disk), or `full` (every commit waits for it)."""
DURABILITIES: tuple[Durability, ...] = ("normal", "full")
DEFAULT_DURABILITY: Durability = "normal"


TANSU_REBALANCE_TIMEOUT_MS = 3_000
"""Tansu completes a consumer-group join only after the group's rebalance timeout (its
members' max_poll_interval_ms) has run out, so on Tansu it is kept short."""
KAFKA_REBALANCE_TIMEOUT_MS = 10_000
"""Apache Kafka completes a join as soon as every member has joined again, and waits at most
this long for one that has not. A member joins again only from its own poll: on a loaded
machine a 3 s window evicted a member whose thread did not run in time, its next join started
another rebalance, and the group could go round for longer than a test waits. Not longer than
10 s: a member that went away with its join pending holds the group's next join that long
(Apache Kafka's group coordinator does not expire a member while its JoinGroup waits:
MemberMetadata.shouldKeepAlive), and 10 s is also the session timeout these consumers get
(kafka_io.clients.session_timeout_ms)."""


def rebalance_timeout_ms(on_tansu: bool) -> int:
    """max_poll_interval_ms for the local mode's consumers on this broker."""
    return TANSU_REBALANCE_TIMEOUT_MS if on_tansu else KAFKA_REBALANCE_TIMEOUT_MS


KAFKA_DOORS = (defaults.KAFKA_DEMO_BS, defaults.IRIS_KAFKA_SERVICE)
"""The items `kafka-demo local --disable` takes: the two consumers of the topic, each of which
can read it alone. The BP and the BOs are not among them: IRIS keeps what is sent to a
disabled item in its queue, which the local mode has not."""


@dataclass(frozen=True)
class LocalConfig:
    db_url: str = LOCAL_DB_URL
    durability: Durability = DEFAULT_DURABILITY
    # The PoolSize of KafkaDemoBP and LocalStorageBO; None keeps the production's (1).
    pool_size: int | None = None
    bootstrap: str = LOCAL_BOOTSTRAP
    topic: str = defaults.TOPIC
    dlq_topic: str = defaults.DLQ_TOPIC
    group_id: str = defaults.GROUP_ID
    # The group's rebalance timeout as well; None: the broker's (rebalance_timeout_ms).
    max_poll_interval_ms: int | None = None
    # So that one poll's records are handed over well within max_poll_interval_ms.
    max_poll_records: int = 100
    # Well inside max_poll_interval_ms and gunicorn's graceful_timeout (5 s), which a stop
    # waits for; a drain goes on at the next call at once, so this costs no throughput.
    poll_budget_seconds: float = 1.0
    # On a database several productions share (PostgreSQL): this one's id, whose sessions it
    # owns (kafka_demo.local_mode.instances). None on an SQLite file, which one production uses.
    instance: int | None = None
    # Kafka doors not run, as items whose Enabled box is cleared in the Management Portal; the
    # other door then reads every partition of the topic.
    disabled: tuple[str, ...] = ()
