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
from pathlib import Path
from types import TracebackType
from typing import Any

from kafka_demo.local_mode.broker.ports import PortInUse, accepts, broker_answers, port_is_free
from kafka_demo.local_mode.broker.tansu import free_port
from kafka_demo.local_mode.lifetime import die_with

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


class LocalKafka:
    """One Apache Kafka node (broker and controller in one JVM) on a loopback port, its data
    in `directory`; formatted on its first start, started on the same data afterwards."""

    def __init__(
        self, directory: Path, port: int, host: str = "127.0.0.1", jars: Path = KAFKA_JARS
    ) -> None:
        self.directory = directory
        self.host = host
        self.port = port
        self.jars = jars
        self._process: subprocess.Popen[bytes] | None = None
        self._owner_pid = os.getpid()

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def data_directory(self) -> Path:
        return self.directory / "data"

    @property
    def log_path(self) -> Path:
        return self.directory / "server.log"

    def start(self, timeout: float = 120.0) -> "LocalKafka":
        """Format the log directory if new, start the JVM and wait until it answers."""
        missing = missing_for_kafka(self.jars)
        if missing:
            raise KafkaNotInstalled(missing)
        if not port_is_free(self.host, self.port):
            raise PortInUse(self.port)
        self._owner_pid = os.getpid()
        self.directory.mkdir(parents=True, exist_ok=True)
        properties = self.directory / "server.properties"
        properties.write_text(self._properties(free_port()))
        (self.directory / "log4j2.properties").write_text(log_config(self.log_path))
        if not (self.data_directory / "meta.properties").is_file():
            self._format(properties)
        self._launch(properties)
        self._wait_until_ready(timeout)
        return self

    def wait_for_group_coordinator(self, group: str, timeout: float = 60.0) -> None:
        """Wait until the broker coordinates `group`. After a start, Kafka creates or loads its
        offsets topic's partitions in the background, and until then answers a group's requests
        with COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS, which
        kafka-python's consumers log as WARNINGs ("Marking the coordinator dead"); asked
        through an admin client first, the production's consumers then join quietly."""
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

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

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM (Kafka's controlled shutdown), SIGKILL if it hangs; False in a forked child."""
        if self._process is None or os.getpid() != self._owner_pid:
            return False
        self._process.terminate()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
        return True

    def __enter__(self) -> "LocalKafka":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _classpath(self) -> str:
        return str(self.jars / "*")

    def _format(self, properties: Path) -> None:
        """kafka-storage format, once: it writes a new cluster id into meta.properties."""
        formatted = subprocess.run(
            [
                "java",
                *TOOL_JVM_OPTIONS,
                "-cp",
                self._classpath(),
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                new_cluster_id(),
                "--config",
                str(properties),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if formatted.returncode != 0:
            raise RuntimeError(f"kafka-storage format failed: {formatted.stderr[-1000:]}")

    def _launch(self, properties: Path) -> None:
        with (self.directory / "stdout.log").open("ab") as output:
            self._process = subprocess.Popen(
                [
                    "java",
                    *JVM_OPTIONS,
                    f"-Dlog4j2.configurationFile={self.directory / 'log4j2.properties'}",
                    "-cp",
                    self._classpath(),
                    "kafka.Kafka",
                    str(properties),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with(os.getpid()),
            )

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not accepts(self.host, self.port):
            self._fail_if_exited()
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"Apache Kafka did not listen on {self.bootstrap}")
            time.sleep(0.1)
        if not broker_answers(self.bootstrap, max(1.0, deadline - time.monotonic())):
            self.stop()
            raise TimeoutError(f"Apache Kafka did not answer on {self.bootstrap}")

    def _fail_if_exited(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            code = self._process.returncode
            self._process = None
            raise RuntimeError(f"Apache Kafka exited at start with code {code}: {self._tail()}")

    def _tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-500:] if self.log_path.exists() else ""

    def _properties(self, controller_port: int) -> str:
        settings = {
            "process.roles": "broker,controller",
            "node.id": NODE_ID,
            "controller.quorum.voters": f"{NODE_ID}@{self.host}:{controller_port}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},"
            f"CONTROLLER://{self.host}:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": self.data_directory,
            "num.partitions": 2,
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            # One machine, one production: a group's first join is not held back (a stop
            # during a held join outlasts gunicorn's graceful timeout), and the broker uses a
            # few threads rather than one per core of a large server.
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
    from kafka.errors import KafkaError

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
