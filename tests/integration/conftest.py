"""A production wired by settings.py, on a real broker and a real SQLite file."""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import settings
from kafka_demo.defaults import KAFKA_DEMO_BO, KAFKA_DEMO_BP, KAFKA_DEMO_BS, LOCAL_STORAGE_BO
from kafka_demo.local_mode.iris.router import LocalProduction

_groups = itertools.count(1)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "products.db"


@pytest.fixture
def production_settings(
    kafka_bootstrap: str, topics: dict[str, str], database: Path
) -> dict[str, dict[str, Any]]:
    """settings.py's items, pointed at this test's broker, topics, group and database."""
    kafka = {"kafka_broker": kafka_bootstrap, "topic": topics["topic"]}
    return {
        KAFKA_DEMO_BS: {
            **kafka,
            "group_id": f"demo-group-{next(_groups)}",
            "timeout": 0.2,
            # Tansu completes a group join only after about max_poll_interval_ms.
            "max_poll_interval_ms": 1500,
        },
        KAFKA_DEMO_BO: {**kafka, "dlq_topic": topics["dlq_topic"]},
        LOCAL_STORAGE_BO: {"connection_string": f"sqlite:///{database}"},
        # The IRIS ORM route writes to the recording fake, not to this file.
        KAFKA_DEMO_BP: {"storage_routes": "sql,sqlalchemy"},
    }


@pytest.fixture
def start_production(
    production_settings: dict[str, dict[str, Any]],
) -> Iterator[Callable[..., LocalProduction]]:
    started: list[LocalProduction] = []

    def start(skip: dict[str, str] | None = None) -> LocalProduction:
        production = LocalProduction(
            settings.PRODUCTIONS[0], settings=production_settings, skip=skip
        )
        production.start()
        started.append(production)
        return production

    yield start
    for production in started:
        production.stop()
