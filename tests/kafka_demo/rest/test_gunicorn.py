"""Each app module under real gunicorn, with the config it is deployed with, and no IRIS.

This proves the import path (`--chdir src/python`, `<module>:app`) and the
configs work, that bad input is answered without IRIS, and that a missing
IRIS is a 503 with a clear body, not a crash or a stack trace.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kafka_demo.local_mode.broker.ports import free_port
from kafka_demo.rest.contract import MAX_BODY_BYTES
from kafka_demo.rest.gateway import IRIS_UNREACHABLE_TEXT
from tests.support.local_process import post_chunked

ROOT = Path(__file__).resolve().parents[3]
CONFIG = "misc/deploy/gunicorn/gunicorn.conf.py"
APP_MODULES = ("app", "app_standalone")
START_TIMEOUT_SECONDS = 30


@dataclass
class Reply:
    status: int
    body: dict[str, object]
    text: str


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        headers = {"Content-Type": content_type} if body is not None else {}
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        text = raw.decode("utf-8")
        return Reply(status, json.loads(text), text)

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()}"
                )
            try:
                self.request("GET", "/health")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        pytest.fail(
            f"gunicorn did not serve within {START_TIMEOUT_SECONDS}s:\n{self.log.read_text()}"
        )


def gunicorn_environment(iris_port: int) -> dict[str, str]:
    environ = {
        name: value for name, value in os.environ.items() if not name.startswith("GUNICORN_")
    }
    environ.pop("WEB_CONCURRENCY", None)
    environ.update(
        GUNICORN_WORKERS="1",
        # The standalone server's IRIS: a loopback port nothing listens on.
        IRIS_HOST="127.0.0.1",
        IRIS_PORT=str(iris_port),
    )
    return environ


@pytest.fixture(params=APP_MODULES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    module = request.param
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        CONFIG,
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        "src/python",
        f"{module}:app",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=gunicorn_environment(free_port()), stdout=output, stderr=output
        )
    running = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        running.wait_until_serving()
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_gunicorn_serves_the_contract_without_iris(server: Server) -> None:
    invalid = server.request("POST", "/kafka", b'{"name": "apple", "price": "10.50"}')
    wrong_type = server.request("POST", "/kafka", b'{"name": "apple", "price": 1}', "text/plain")
    valid = server.request("POST", "/kafka", '{"name": "pomme é", "price": 10.5}'.encode())
    health = server.request("GET", "/health")

    assert (invalid.status, invalid.body) == (
        400,
        {"error": "price must be a number, not a string", "field": "price"},
    )
    assert wrong_type.status == 415
    assert (valid.status, valid.body) == (503, {"error": IRIS_UNREACHABLE_TEXT})
    assert "Traceback" not in valid.text
    assert (health.status, health.body) == (
        503,
        {"status": "unavailable", "iris": False, "error": IRIS_UNREACHABLE_TEXT},
    )
    log = server.log.read_text()
    assert "Booting worker" in log
    assert '"POST /kafka HTTP/1.1" 503' in log, "the access log records each request"


def test_a_chunked_body_over_the_limit_is_refused_not_cut_and_parsed(server: Server) -> None:
    head = b'{"name": "apple", "price": "10.50"}'
    over = head + b" " * MAX_BODY_BYTES  # cut at the limit, this would parse (and get its 400)

    status, body = post_chunked(f"{server.url}/kafka", over)
    under_status, under_body = post_chunked(f"{server.url}/kafka", head + b" " * 100)

    assert (status, body) == (413, {"error": f"request body is larger than {MAX_BODY_BYTES} bytes"})
    assert (under_status, under_body) == (
        400,
        {"error": "price must be a number, not a string", "field": "price"},
    )
