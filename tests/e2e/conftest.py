"""The live suite runs only when asked (KAFKA_DEMO_E2E=1) and the stack answers."""

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.e2e import stack


@pytest.fixture(scope="session")
def live_stack() -> None:
    if os.environ.get("KAFKA_DEMO_E2E") != "1":
        pytest.skip("live e2e suite: set KAFKA_DEMO_E2E=1 with `docker compose up` running")
    closed = stack.closed_ports()
    if closed:
        pytest.skip(f"KAFKA_DEMO_E2E=1 but the stack does not answer on: {', '.join(closed)}")


@pytest.fixture(autouse=True)
def _require_stack(live_stack: None) -> None:
    """Every test here needs the stack."""


@pytest.fixture(scope="session")
def db(live_stack: None) -> Iterator[sa.Engine]:
    engine = stack.engine()
    yield engine
    engine.dispose()
