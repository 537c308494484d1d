"""Apache Kafka 4.1.1 on the JVM for tests: one KRaft broker, or a cluster of them, on loopback.

The jars come from misc/scripts/apache-kafka/pom.xml (Kafka's own artifacts, the release
the compose stack pins), copied once by Maven into a cache outside the repository. Each node
is the local mode's own `LocalKafka` (broker and controller in one JVM, its storage formatted
with Kafka's storage tool), given its place in the cluster's quorum.
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from kafka import KafkaAdminClient

from kafka_demo.local_mode.broker.apache_kafka import (
    BROKER_JAR,
    KAFKA_JARS,
    KAFKA_VERSION,
    LocalKafka,
    Quorum,
    kafka_tool_command,
    new_cluster_id,
)
from kafka_demo.local_mode.broker.ports import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
POM = REPOSITORY / "misc" / "scripts" / "apache-kafka" / "pom.xml"
CREATE_TOPICS = REPOSITORY / "misc" / "deploy" / "kafka" / "create-topics.sh"
JARS = KAFKA_JARS


class KafkaUnavailable(RuntimeError):
    """Java or Maven is missing, or Maven could not fetch Kafka: the one line says which."""


def missing_tools() -> str | None:
    """What this machine lacks to run Apache Kafka here, or None."""
    needed = ("java",) if jars_ready() else ("java", "mvn")  # Maven only to fetch the jars
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if not missing:
        return None
    return f"Apache Kafka tests need {' and '.join(missing)} on PATH (Java 17 and Maven)"


def jars_ready() -> bool:
    return (JARS / BROKER_JAR).is_file() and (JARS / f"kafka-tools-{KAFKA_VERSION}.jar").is_file()


def fetch_jars() -> Path:
    """Copy Kafka and its dependencies into JARS once (Maven's own cache does the download)."""
    if jars_ready():
        return JARS
    reason = missing_tools()
    if reason:
        raise KafkaUnavailable(reason)
    JARS.parent.mkdir(parents=True, exist_ok=True)
    with (JARS.parent / f".kafka-{KAFKA_VERSION}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another suite on this machine may be fetching too
        if jars_ready():
            return JARS
        staging = Path(tempfile.mkdtemp(prefix=f"kafka-{KAFKA_VERSION}-", dir=JARS.parent))
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-Dkafka.jars={staging}",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            last = (result.stdout + result.stderr).strip().splitlines()[-5:]
            raise KafkaUnavailable(f"Maven could not fetch Kafka {KAFKA_VERSION}: {last}")
        shutil.rmtree(JARS, ignore_errors=True)
        staging.rename(JARS)
    return JARS


def topics_command() -> str:
    """kafka-topics as a command line, for misc/deploy/kafka/create-topics.sh's KAFKA_TOPICS_CMD."""
    return " ".join(kafka_tool_command(fetch_jars(), "org.apache.kafka.tools.TopicCommand"))


def create_topics_with_script(
    bootstrap: str, environment: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run misc/deploy/kafka/create-topics.sh, as the compose stack's kafka-init does, with Kafka's
    own kafka-topics from the jars instead of the image's /opt/kafka/bin."""
    return subprocess.run(
        ["bash", str(CREATE_TOPICS)],
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP": bootstrap,
            "KAFKA_TOPICS_CMD": topics_command(),
            **(environment or {}),
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


class KafkaCluster:
    """`size` KRaft nodes in combined mode, each a `LocalKafka` of one quorum; internal topics
    replicated as far as `size` allows.

    `bootstrap` lists every node, as a client of a cluster names them.
    """

    def __init__(self, size: int = 1, directory: Path | None = None) -> None:
        self.size = size
        self._own_directory = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="kafka-demo-kafka-"))
        ids = range(1, size + 1)
        quorum = Quorum(new_cluster_id(), {node_id: free_port() for node_id in ids})
        self.nodes = [
            LocalKafka(self.directory / f"node-{id_}", free_port(), node_id=id_, quorum=quorum)
            for id_ in ids
        ]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def node(self, node_id: int) -> LocalKafka:
        return next(node for node in self.nodes if node.node_id == node_id)

    def start(self, timeout: float = 90) -> "KafkaCluster":
        """Launch every node, then wait for all of them: none answers before a quorum runs."""
        fetch_jars()
        for node in self.nodes:
            node.launch()
        self.wait_until_complete(timeout)
        return self

    def stop(self) -> None:
        """Stop every node (a controlled shutdown; SIGKILL if it hangs), then remove the data
        unless the caller owns the directory."""
        for node in reversed(self.nodes):
            node.stop(timeout=20)
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "KafkaCluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def restart_node(self, node: LocalKafka, timeout: float = 90) -> None:
        """Start a stopped or killed node again on its own data, and wait until it is back in
        the cluster."""
        node.launch()
        self.wait_until_complete(timeout)

    def wait_until_complete(self, timeout: float) -> None:
        """Until every node answers and the cluster's metadata lists all of them."""
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            node.wait_until_ready(max(1.0, deadline - time.monotonic()))
        while True:
            registered = self._registered_brokers()
            if registered == {node.node_id for node in self.nodes}:
                return
            if time.monotonic() > deadline:
                tails = " | ".join(node.tail() for node in self.nodes)
                raise TimeoutError(f"only brokers {sorted(registered)} registered: {tails}")
            time.sleep(0.3)

    def wait_until_in_sync(self, topics: list[str], timeout: float) -> float:
        """Until every partition of `topics` has all its replicas in sync; the seconds waited."""
        started = time.monotonic()
        while True:
            lagging = self.under_replicated(topics)
            if not lagging:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"partitions still under-replicated: {lagging}")
            time.sleep(0.5)

    def under_replicated(self, topics: list[str]) -> list[tuple[str, int]]:
        lagging = []
        for topic in self.describe_topics(topics):
            for partition in topic["partitions"]:
                if set(partition["isr_nodes"]) != set(partition["replica_nodes"]):
                    lagging.append((topic["name"], partition["partition_index"]))
        return lagging

    def leaders(self, topic: str) -> dict[int, int]:
        """Partition number -> id of the node that leads it (-1 where none does)."""
        [described] = self.describe_topics([topic])
        return {p["partition_index"]: p["leader_id"] for p in described["partitions"]}

    def describe_topics(self, topics: list[str]) -> list[dict]:
        admin = KafkaAdminClient(bootstrap_servers=self._live_bootstrap())
        try:
            return admin.describe_topics(topics)
        finally:
            admin.close()

    def _live_bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes if node.running) or self.bootstrap

    def _registered_brokers(self) -> set[int]:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self._live_bootstrap(), request_timeout_ms=5000
            )
        except Exception:
            return set()
        try:
            return {broker["broker_id"] for broker in admin.describe_cluster()["brokers"]}
        except Exception:
            return set()
        finally:
            admin.close()


if __name__ == "__main__":
    # misc/scripts/test.sh: fetch the jars once, before the tests need them.
    try:
        print(f"Apache Kafka {KAFKA_VERSION} for the tests: {fetch_jars()}")
    except KafkaUnavailable as error:
        sys.exit(str(error))
