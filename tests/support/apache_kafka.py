"""Apache Kafka 4.1.1 on the JVM for tests: one KRaft broker, or a cluster of them, on loopback.

The jars come from misc/scripts/apache-kafka/pom.xml (Kafka's own artifacts, the release
the compose stack pins), copied once by Maven into a cache outside the repository. Each node
runs in combined mode (broker and controller in one JVM); its storage is formatted with
Kafka's own storage tool, and it is stopped by its process id. Heaps are small and the
serial collector is used: the machines that run the suite have two cores.
"""

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from kafka import KafkaAdminClient

from kafka_demo.local_mode.broker.apache_kafka import (
    BROKER_JAR,
    JVM_OPTIONS,
    KAFKA_JARS,
    KAFKA_VERSION,
    TOOL_JVM_OPTIONS,
    log_config,
    new_cluster_id,
)
from kafka_demo.local_mode.broker.ports import accepts, broker_answers
from kafka_demo.local_mode.broker.tansu import free_port
from kafka_demo.local_mode.lifetime import die_with

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


def classpath() -> str:
    return str(fetch_jars() / "*")


def run_tool(main_class: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One of Kafka's command-line tools (StorageTool, TopicCommand...) by its main class."""
    return subprocess.run(
        ["java", *TOOL_JVM_OPTIONS, "-cp", classpath(), main_class, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def topics_command() -> str:
    """kafka-topics as a command line, for misc/deploy/kafka/create-topics.sh's KAFKA_TOPICS_CMD."""
    options = " ".join(TOOL_JVM_OPTIONS)
    return f"java {options} -cp {classpath()} org.apache.kafka.tools.TopicCommand"


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


@dataclass
class KafkaNode:
    """One combined broker+controller: its ports, its directory, its JVM while running."""

    node_id: int
    directory: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def properties_path(self) -> Path:
        return self.directory / "server.properties"

    @property
    def log_path(self) -> Path:
        return self.directory / "server.log"


class KafkaCluster:
    """`size` KRaft nodes in combined mode; internal topics replicated as far as `size` allows.

    `bootstrap` lists every node, as a client of a cluster names them.
    """

    def __init__(self, size: int = 1, directory: Path | None = None) -> None:
        self.size = size
        self._own_directory = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="kafka-demo-kafka-"))
        self.cluster_id = new_cluster_id()
        self.nodes = [KafkaNode(i + 1, self.directory / f"node-{i + 1}") for i in range(size)]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def node(self, node_id: int) -> KafkaNode:
        return next(node for node in self.nodes if node.node_id == node_id)

    def start(self, timeout: float = 90) -> "KafkaCluster":
        fetch_jars()
        for node in self.nodes:
            self._format(node)
        for node in self.nodes:
            self._launch(node)
        self.wait_until_complete(timeout)
        return self

    def stop(self) -> None:
        """Stop every node (SIGTERM, a controlled shutdown; SIGKILL if it hangs), then remove
        the data unless the caller owns the directory."""
        for node in reversed(self.nodes):
            self.stop_node(node, timeout=20)
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "KafkaCluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def kill_node(self, node: KafkaNode) -> None:
        """SIGKILL: a crash, no controlled shutdown, no flush of what is in the page cache."""
        if node.process is not None:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait(30)
        node.process = None

    def stop_node(self, node: KafkaNode, timeout: float = 60) -> None:
        """SIGTERM: Kafka's controlled shutdown (leadership moved away first)."""
        if node.process is None:
            return
        node.process.terminate()
        try:
            node.process.wait(timeout)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait(30)
        node.process = None

    def restart_node(self, node: KafkaNode, timeout: float = 90) -> None:
        """Start a stopped or killed node again on its own data, and wait until it is back in
        the cluster."""
        self._launch(node)
        self.wait_until_complete(timeout)

    def wait_until_complete(self, timeout: float) -> None:
        """Until every node answers and the cluster's metadata lists all of them."""
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            self._wait_for_port(node, deadline)
        while True:
            registered = self._registered_brokers()
            if registered == {node.node_id for node in self.nodes}:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"only brokers {sorted(registered)} registered: {self._tail()}")
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

    def _wait_for_port(self, node: KafkaNode, deadline: float) -> None:
        """A plain TCP probe first (a Kafka client logs refused connections as errors)."""
        while not accepts("127.0.0.1", node.port):
            if node.process is not None and node.process.poll() is not None:
                raise RuntimeError(
                    f"Kafka node {node.node_id} exited with {node.process.returncode}: "
                    f"{self._tail(node)}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"Kafka node {node.node_id} did not listen: {self._tail(node)}")
            time.sleep(0.1)
        if not broker_answers(node.bootstrap, max(1.0, deadline - time.monotonic())):
            raise TimeoutError(f"Kafka node {node.node_id} did not answer: {self._tail(node)}")

    def _tail(self, node: KafkaNode | None = None) -> str:
        nodes = [node] if node else self.nodes
        return " | ".join(
            n.log_path.read_text(errors="replace")[-1500:] for n in nodes if n.log_path.exists()
        )

    def _format(self, node: KafkaNode) -> None:
        node.directory.mkdir(parents=True, exist_ok=True)
        node.properties_path.write_text(self._properties(node))
        (node.directory / "log4j2.properties").write_text(log_config(node.log_path))
        formatted = run_tool(
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            self.cluster_id,
            "--config",
            str(node.properties_path),
        )
        if formatted.returncode != 0:
            raise RuntimeError(f"kafka-storage format failed: {formatted.stderr[-2000:]}")

    def _launch(self, node: KafkaNode) -> None:
        with (node.directory / "stdout.log").open("ab") as output:
            node.process = subprocess.Popen(
                [
                    "java",
                    *JVM_OPTIONS,
                    f"-Dlog4j2.configurationFile={node.directory / 'log4j2.properties'}",
                    "-cp",
                    classpath(),
                    "kafka.Kafka",
                    str(node.properties_path),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with(os.getpid()),
            )

    def _properties(self, node: KafkaNode) -> str:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        replicas = min(3, self.size)
        in_sync = min(2, self.size)
        settings = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},"
            f"CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": node.directory / "data",
            # As the compose stack: topics made on first use get 2 partitions.
            "num.partitions": 2,
            "offsets.topic.replication.factor": replicas,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": in_sync,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": in_sync,
            # Test speed: a group's first join is not held back, the offsets topic is small,
            # and a broker uses a few threads rather than one per core of a large server.
            "group.initial.rebalance.delay.ms": 0,
            "offsets.topic.num.partitions": 4,
            "num.network.threads": 2,
            "num.io.threads": 2,
            "background.threads": 2,
            "log.cleaner.threads": 1,
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())


if __name__ == "__main__":
    # misc/scripts/test.sh: fetch the jars once, before the tests need them.
    try:
        print(f"Apache Kafka {KAFKA_VERSION} for the tests: {fetch_jars()}")
    except KafkaUnavailable as error:
        sys.exit(str(error))
