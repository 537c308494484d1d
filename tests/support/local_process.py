"""`kafka-demo` as a user runs it: the installed console script, in a subprocess, on free ports."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from kafka_demo.local_mode.broker.ports import free_port

KAFKA_DEMO = str(Path(sys.executable).with_name("kafka-demo"))


def kafka_demo(
    *args: str, timeout: float = 60, executable: str = KAFKA_DEMO, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a short kafka-demo command (produce, products, trace, replay) and return its output."""
    return subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
    )


def one_line_refusal(*args: str) -> str:
    """Run a command that must be refused before it starts anything; its one line of stderr."""
    started = time.monotonic()
    result = kafka_demo(*args, timeout=30)
    assert time.monotonic() - started < 10
    assert result.returncode in (1, 2), result
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def http(method: str, url: str, body: Any = None, timeout: float = 10) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class LocalProcess:
    """One `kafka-demo local` in the foreground of its own process group."""

    def __init__(
        self,
        db_url: str,
        log_path: Path,
        bootstrap: str | None = None,
        executable: str = KAFKA_DEMO,
        cwd: Path | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        """`options` are added to the command line (--durability, --pool-size)."""
        self.db_url = db_url
        self.options = options
        self.executable = executable
        self.cwd = cwd
        self.port = free_port()
        self.broker_port = free_port()
        self.bootstrap = bootstrap or f"127.0.0.1:{self.broker_port}"
        self._external_broker = bootstrap is not None
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> float:
        """Start it and return the seconds until /health answered 200."""
        command = [self.executable, "local", "--port", str(self.port), "--db", self.db_url]
        command += self.options
        if self._external_broker:
            command += ["--bootstrap", self.bootstrap]
        else:
            command += ["--broker-port", str(self.broker_port)]
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.cwd,
            )
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"kafka-demo local exited: {self.log_path.read_text()[-3000:]}")
            try:
                if http("GET", f"{self.url}/health", timeout=1)[0] == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"kafka-demo local not healthy: {self.log_path.read_text()[-3000:]}")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, as a service manager or Ctrl-C would; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, with no chance to clean up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def group_alive(self) -> bool:
        """Whether any process of its group (gunicorn worker, broker) is still running."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True


def post_chunked(url: str, body: bytes, timeout: float = 10) -> tuple[int, Any]:
    """POST `body` with Transfer-Encoding: chunked (no Content-Length), in 8 KiB chunks, as
    `curl -H 'Transfer-Encoding: chunked' --data-binary @file` sends it."""
    parsed = urllib.parse.urlsplit(url)
    connection = HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        chunks = (body[start : start + 8192] for start in range(0, len(body), 8192))
        connection.request(
            "POST",
            parsed.path,
            body=chunks,
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()
