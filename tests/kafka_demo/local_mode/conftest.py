"""Shared by the tests of `kafka-demo local`: a database URL, a process killed after the test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.local_process import LocalProcess


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kafka_demo.db'}"


@pytest.fixture
def local(db_url: str, tmp_path: Path) -> Iterator[LocalProcess]:
    """`kafka-demo local` on db_url, not started yet; killed after the test if still running."""
    process = LocalProcess(db_url, tmp_path / "local.log")
    yield process
    if process.process is not None and process.process.poll() is None:
        process.kill()
