"""A broker run as a child process: its lifetime, whatever the broker (Tansu or Apache Kafka).

The base starts the process in its own session, tied to ours (it dies with us), waits until
the broker on the port is the one we started and answers a Kafka request, and stops it:
SIGTERM, then SIGKILL if it hangs. A subclass says only what differs: its command, what it
prepares before the start, and where its log is.
"""

import contextlib
import os
import signal
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

from kafka_demo.local_mode.broker.ports import (
    PortInUse,
    accepts,
    broker_answers,
    listens,
    port_is_free,
)
from kafka_demo.local_mode.lifetime import die_with

_Broker = TypeVar("_Broker", bound="BrokerProcess")
TAIL_LINES = 3
TAIL_CHARS = 1000
"""How much of each log an error at start quotes: its last lines but a stack's frames."""


class BrokerProcess(ABC):
    """One broker process on `host:port`; `bootstrap` is what clients connect to."""

    name = "the broker"
    """How errors name it."""
    start_timeout = 20.0
    stop_timeout = 5.0

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._owner_pid = os.getpid()

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @abstractmethod
    def durability(self) -> str:
        """What a crash of the process that started it costs, said on every start."""

    def wait_for_group_coordinator(self, group: str, timeout: float = 60.0) -> None:
        """Return once the broker coordinates `group`; a broker that does so from its start
        has nothing to wait for."""
        return

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def output_path(self) -> Path | None:
        """Where the process's stdout and stderr go; None: nowhere."""
        return None

    @property
    def log_paths(self) -> tuple[Path, ...]:
        """The files whose tails an error at start quotes."""
        return () if self.output_path is None else (self.output_path,)

    @abstractmethod
    def command(self) -> list[str]:
        """The command line that runs the broker; raises if what it runs is not installed."""

    @abstractmethod
    def prepare(self) -> None:
        """What must exist before the process starts (its files)."""

    def start(self: _Broker, timeout: float | None = None) -> _Broker:
        """Launch the broker and wait until it answers; PortInUse when another process has
        the port."""
        self.launch()
        self.wait_until_ready(self.start_timeout if timeout is None else timeout)
        return self

    def launch(self) -> None:
        """Start the process without waiting for it: the nodes of a cluster are launched
        together, since none answers before a quorum of them runs."""
        command = self.command()
        if not port_is_free(self.host, self.port):
            raise PortInUse(self.port)
        self._owner_pid = os.getpid()
        self.prepare()
        output_path = self.output_path
        with output_path.open("ab") if output_path else contextlib.nullcontext(None) as output:
            self._process = self._spawn(command, output)

    def wait_until_ready(self, timeout: float) -> None:
        """Until our process listens on the port and answers ApiVersions.

        The port is probed with a plain TCP connect first: a Kafka client connected before
        the broker listens logs each refused attempt as an ERROR.
        """
        deadline = time.monotonic() + timeout
        while not accepts(self.host, self.port):
            self._fail_if_exited()
            if time.monotonic() > deadline:
                self._give_up("did not listen")
            time.sleep(0.05)
        self._fail_unless_ours()
        if not broker_answers(self.bootstrap, max(1.0, deadline - time.monotonic())):
            self._give_up("did not answer")
        self._fail_unless_ours()

    def stop(self, timeout: float | None = None) -> bool:
        """SIGTERM (a broker's controlled shutdown), SIGKILL if it hangs; False in a forked
        child (a gunicorn worker), which does not own the broker."""
        if self._process is None or os.getpid() != self._owner_pid:
            return False
        self._process.terminate()
        try:
            self._process.wait(self.stop_timeout if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
        return True

    def kill(self) -> None:
        """SIGKILL: a crash, no controlled shutdown."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
        self._process = None

    def __enter__(self: _Broker) -> _Broker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def tail(self) -> str:
        """The last lines of the broker's logs, for an error at start."""
        tails = [_last_lines(path) for path in self.log_paths if path.is_file()]
        return " | ".join(tail for tail in tails if tail)

    def _spawn(self, command: list[str], output: IO[bytes] | None) -> "subprocess.Popen[bytes]":
        return subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL if output is None else output,
            stderr=subprocess.DEVNULL if output is None else subprocess.STDOUT,
            # Its own session, so a Ctrl-C meant for us does not kill it before we stop it;
            # and on Linux it dies with its parent, so a killed parent leaves no orphan.
            start_new_session=True,
            preexec_fn=die_with(os.getpid()),
        )

    def _give_up(self, what: str) -> None:
        self.stop()
        raise TimeoutError(self._with_tail(f"{self.name} {what} on {self.bootstrap}"))

    def _fail_if_exited(self) -> None:
        if self._process is None or self._process.poll() is None:
            return
        code = self._process.returncode
        self._process = None
        if not port_is_free(self.host, self.port):
            raise PortInUse(self.port)
        raise RuntimeError(self._with_tail(f"{self.name} exited at start with code {code}"))

    def _fail_unless_ours(self) -> None:
        """What answers on the port must be the broker we started, not one already there."""
        self._fail_if_exited()
        assert self._process is not None
        if listens(self._process.pid, self.port) is False:
            self.stop()
            raise PortInUse(self.port)

    def _with_tail(self, message: str) -> str:
        tail = self.tail()
        return f"{message}: {tail}" if tail else message


def _last_lines(log: Path) -> str:
    """A log's last lines, leaving out a stack trace's frames (indented) so that an
    exception's own line is among them."""
    lines = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if line.strip() and not line[0].isspace()
    ]
    return " / ".join(lines[-TAIL_LINES:])[-TAIL_CHARS:]
