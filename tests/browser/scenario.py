"""A running `kafka-demo local` fed what the Message Viewer must show: stored, refused,
dead-lettered and failed inputs. Shared by the browser test and misc/scripts/screenshot.py."""

import re
import sqlite3
import time
from pathlib import Path

from kafka_demo.defaults import TOPIC
from tests.support.kafka import produce
from tests.support.local_process import LocalProcess, http
from tests.support.local_runtime import STORAGE_OUTAGE_TRIGGER

VALID_HTTP = {"name": "desk lamp", "price": 24.5}
HOSTILE_NAME = '<img src=x onerror="window.owned = 1">'
REFUSED_HTTP = {"name": HOSTILE_NAME, "price": -1}
VALID_KAFKA = b'{"name": "kafka chair", "price": 80}'
NOT_AN_OBJECT = b"[]"
NOT_UTF8 = b"\xff\xfe not utf-8"
FAILS_IN_STORAGE = "fails in storage"
SESSIONS = 6


def refuse_in_storage(db_path: Path) -> None:
    """A real storage fault: SQLite itself fails rows of one name (as a disk that is away
    would)."""
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            STORAGE_OUTAGE_TRIGGER.format(
                name="refuse_row", when=f"WHEN NEW.name = '{FAILS_IN_STORAGE}' "
            )
        )


def listed_sessions(url: str) -> list[str]:
    """The statuses /messages lists, fetched without a browser (to wait for the trace)."""
    import urllib.request

    with urllib.request.urlopen(f"{url}/messages?refresh=0", timeout=10) as response:
        page = response.read().decode()
    return re.findall(r'data-session="\d+" data-status="([^"]+)"', page)


def feed(local: LocalProcess, db_path: Path, timeout: float = 60) -> None:
    """Send every kind of input and wait until the viewer lists all their sessions."""
    status, answer = http("POST", f"{local.url}/kafka", VALID_HTTP)
    assert status == 200, answer
    refuse_in_storage(db_path)  # the product table exists now: the first row is stored
    status, answer = http("POST", f"{local.url}/kafka", REFUSED_HTTP)
    assert (status, answer) == (400, {"error": "price must not be negative", "field": "price"})
    faulty = f'{{"name": "{FAILS_IN_STORAGE}", "price": 3}}'.encode()
    produce(local.bootstrap, TOPIC, [VALID_KAFKA, NOT_AN_OBJECT, NOT_UTF8, faulty])
    deadline = time.monotonic() + timeout
    while len(statuses := listed_sessions(local.url)) < SESSIONS:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the viewer lists {statuses}, not {SESSIONS} sessions")
        time.sleep(0.3)
