"""Shared by the tests of `kafka-demo local`: a database, a runtime on it, a process killed
after the test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from tests.support.local_process import LocalProcess


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "kafka_demo.db"


@pytest.fixture
def db_url(database: Path) -> str:
    return f"sqlite:///{database}"


@pytest.fixture
def runtime(db_url: str) -> Iterator[LocalRuntime]:
    """A LocalRuntime on `db_url` without a poller (no consumer, no broker asked), not started
    yet; stopped after the test."""
    built = LocalRuntime(LocalConfig(db_url=db_url), poll=False)
    yield built
    built.stop()


@pytest.fixture
def local(db_url: str, tmp_path: Path) -> Iterator[LocalProcess]:
    """`kafka-demo local` on db_url, not started yet; killed after the test if still running."""
    process = LocalProcess(db_url, tmp_path / "local.log")
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()
