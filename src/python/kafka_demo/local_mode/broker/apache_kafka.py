"""Apache Kafka 4.1.1 as the local mode's broker: one KRaft node whose log lives on disk.

`kafka-demo local --broker apache-kafka` runs it instead of Tansu. Records it acknowledged
are in its log directory (beside the database) before the acknowledgement, so they outlive
a crash of the process; the next start reads the same log, under the same cluster id.
It needs Java 17 and Kafka's jars, which misc/scripts/apache-kafka/pom.xml lists (copied by
Maven into KAFKA_JARS: `mvn -f misc/scripts/apache-kafka/pom.xml dependency:copy-dependencies`).

Apache Kafka acknowledges a record once it is in the page cache of the log's file, not once
it is on the disk (Kafka documentation, "Understanding Linux OS Flush Behavior"): a killed
process loses nothing, a power cut may lose the last records.
"""

import base64
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.local_mode.broker.process import BrokerProcess

KAFKA_VERSION = "4.1.1"
KAFKA_JARS = Path(
    os.environ.get(
        "KAFKA_DEMO_KAFKA_JARS",
        Path.home() / ".cache" / "iris-kafka-demo" / f"kafka-{KAFKA_VERSION}",
    )
)
"""Where Kafka's jars are (KAFKA_DEMO_KAFKA_JARS, or the cache misc/scripts/apache-kafka/pom.xml
copies them into)."""
BROKER_JAR = f"kafka_2.13-{KAFKA_VERSION}.jar"
FETCH_COMMAND = "mvn -f misc/scripts/apache-kafka/pom.xml dependency:copy-dependencies"
JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    # The client compiler only: the broker is up sooner and burns less CPU on JIT.
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)
TOOL_JVM_OPTIONS = ("-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto")
NODE_ID = 1
MAX_REPLICATION_FACTOR = 3
MIN_IN_SYNC_REPLICAS = 2
"""Internal topics on a cluster: replicated to three nodes, two of them in sync, as
misc/deploy/kafka/create-topics.sh makes the product topics (fewer on a smaller cluster)."""
GROUP_UNKNOWN = "GroupIdNotFoundError"
"""What DescribeGroups answers (error 69, Kafka 4) for a group its coordinator has never seen:
the coordinator is there and answering."""


class KafkaNotInstalled(RuntimeError):
    """Java or Kafka's jars are missing: the one line says which, and how to get them."""


def missing_for_kafka(jars: Path = KAFKA_JARS) -> str | None:
    """What this machine lacks to run Apache Kafka, or None."""
    if shutil.which("java") is None:
        return "Apache Kafka needs Java 17 or later (java on PATH)"
    if not (jars / BROKER_JAR).is_file():
        return (
            f"Apache Kafka's jars are not in {jars}: copy them there once with {FETCH_COMMAND}"
            " (from the repository root; needs Maven), or name their folder with"
            " KAFKA_DEMO_KAFKA_JARS"
        )
    return None


def log_directory_beside(database_file: Path | None) -> Path:
    """The broker's directory: beside the SQLite file (kafka_demo.db -> kafka_demo.db.kafka),
    or kafka_demo.kafka in the current folder for a database that is not a file."""
    if database_file is None:
        return Path.cwd() / "kafka_demo.kafka"
    return database_file.with_name(database_file.name + ".kafka")


def kafka_tool_command(jars: Path, main_class: str) -> list[str]:
    """One of Kafka's command-line tools (StorageTool, TopicCommand...) by its main class."""
    return ["java", *TOOL_JVM_OPTIONS, "-cp", str(jars / "*"), main_class]


@dataclass(frozen=True)
class Quorum:
    """The KRaft cluster a node belongs to: its id, and each node's controller port."""

    cluster_id: str
    controller_ports: Mapping[int, int]


class LocalKafka(BrokerProcess):
    """One Apache Kafka node (broker and controller in one JVM) on a loopback port, its data
    in `directory`; formatted on its first start, started on the same data afterwards.

    Alone (no `quorum`), it is its own cluster, and its controller takes a free port at each
    start. In a `quorum`, it is node `node_id` of a cluster whose nodes share the host."""

    name = "Apache Kafka"
    start_timeout = 120.0
    stop_timeout = 30.0

    def __init__(
        self,
        directory: Path,
        port: int,
        host: str = "127.0.0.1",
        jars: Path = KAFKA_JARS,
        node_id: int = NODE_ID,
        quorum: Quorum | None = None,
    ) -> None:
        super().__init__(port, host)
        self.directory = directory
        self.data_directory = directory / "data"
        self.log_path = directory / "server.log"
        self.properties_path = directory / "server.properties"
        self.jars = jars
        self.node_id = node_id
        self.quorum = quorum

    @property
    def output_path(self) -> Path:
        return self.directory / "stdout.log"

    @property
    def log_paths(self) -> tuple[Path, ...]:
        return (self.log_path, self.output_path)

    def command(self) -> list[str]:
        missing = missing_for_kafka(self.jars)
        if missing:
            raise KafkaNotInstalled(missing)
        return [
            "java",
            *JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={self.directory / 'log4j2.properties'}",
            "-cp",
            str(self.jars / "*"),
            "kafka.Kafka",
            str(self.properties_path),
        ]

    def prepare(self) -> None:
        """Its configuration, written at each start; its storage formatted on the first."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.properties_path.write_text(self._properties(self._controller_ports()))
        (self.directory / "log4j2.properties").write_text(log_config(self.log_path))
        if not (self.data_directory / "meta.properties").is_file():
            self._format()

    def durability(self) -> str:
        return (
            f"records the broker acknowledged are kept in {self.directory} and survive a"
            " crash of this process"
        )

    def wait_for_group_coordinator(self, group: str, timeout: float = 60.0) -> None:
        """Wait until the broker coordinates `group`. After a start, Kafka creates or loads its
        offsets topic's partitions in the background, and until then answers a group's requests
        with COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS, which
        kafka-python's consumers log as WARNINGs ("Marking the coordinator dead"); asked
        through an admin client first, the production's consumers then join quietly."""
        deadline = time.monotonic() + timeout
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            while not _coordinates(admin, group):
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"Apache Kafka at {self.bootstrap} did not coordinate the group {group}"
                        f" within {timeout:.0f} s"
                    )
                time.sleep(0.2)
        except KafkaError as error:
            raise TimeoutError(f"Apache Kafka at {self.bootstrap}: {error}") from None
        finally:
            admin.close()

    def _controller_ports(self) -> Mapping[int, int]:
        if self.quorum is None:
            return {self.node_id: free_port()}
        return self.quorum.controller_ports

    def _format(self) -> None:
        """kafka-storage format, once: it writes the cluster id into meta.properties."""
        cluster_id = new_cluster_id() if self.quorum is None else self.quorum.cluster_id
        formatted = subprocess.run(
            [
                *kafka_tool_command(self.jars, "kafka.tools.StorageTool"),
                *("format", "--cluster-id", cluster_id, "--config", str(self.properties_path)),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if formatted.returncode != 0:
            raise RuntimeError(f"kafka-storage format failed: {formatted.stderr[-1000:]}")

    def _properties(self, controller_ports: Mapping[int, int]) -> str:
        controller_port = controller_ports[self.node_id]
        voters = ",".join(f"{node}@{self.host}:{port}" for node, port in controller_ports.items())
        replicas = min(MAX_REPLICATION_FACTOR, len(controller_ports))
        in_sync = min(MIN_IN_SYNC_REPLICAS, len(controller_ports))
        settings = {
            "process.roles": "broker,controller",
            "node.id": self.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://{self.host}:{self.port},"
            f"CONTROLLER://{self.host}:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": self.data_directory,
            # As the compose stack: topics made on first use get 2 partitions.
            "num.partitions": 2,
            "offsets.topic.replication.factor": replicas,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": in_sync,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": in_sync,
            # One machine: a group's first join is not held back (a stop during a held join
            # outlasts gunicorn's graceful timeout), the offsets topic is small, and a broker
            # uses a few threads rather than one per core of a large server.
            "group.initial.rebalance.delay.ms": 0,
            "offsets.topic.num.partitions": 4,
            "num.network.threads": 2,
            "num.io.threads": 2,
            "background.threads": 2,
            "log.cleaner.threads": 1,
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())


def _coordinates(admin: Any, group: str) -> bool:
    """Whether the group's coordinator answers DescribeGroups without an error of its own."""
    try:
        error = admin.describe_groups([group])[group]["error"]
    except KafkaError:  # FindCoordinator's COORDINATOR_NOT_AVAILABLE, on a new broker
        return False
    return error is None or GROUP_UNKNOWN in error


def new_cluster_id() -> str:
    """A KRaft cluster id as Kafka writes one: 16 random bytes, base64url, unpadded."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):  # Kafka's own ids never start with a dash
            return text


def log_config(path: Path) -> str:
    """Log4j 2: warnings and worse to server.log in the broker's directory, not the terminal."""
    return (
        "appender.file.type = File\n"
        "appender.file.name = file\n"
        f"appender.file.fileName = {path}\n"
        "appender.file.layout.type = PatternLayout\n"
        "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
        "rootLogger.level = WARN\n"
        "rootLogger.appenderRef.file.ref = file\n"
    )
