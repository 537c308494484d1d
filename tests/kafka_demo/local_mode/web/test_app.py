"""The local app (create_local_app): the door, /messages, Resend and the home page on one app,
and the door's refusals traced once the production runs."""

import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kafka_demo.defaults import KAFKA_DEMO_BP, KAFKA_DEMO_BS
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.local_mode.trace.queries import find_sessions, session_hops
from kafka_demo.local_mode.trace.vocabulary import HTTP_CLIENT, REJECTED, RESENT, REST_DOOR
from kafka_demo.local_mode.viewer import TOKEN_HEADER
from kafka_demo.local_mode.web.app import create_local_app
from tests.support.local_runtime import hand_over, storage_outage

TOKEN = "the-instance-token"
NOT_RUNNING = {"error": "the production is not running yet; try again"}


@pytest.fixture
def client(runtime: LocalRuntime) -> FlaskClient:
    return create_local_app(runtime, TOKEN).test_client()


def flushed(runtime: LocalRuntime) -> LocalRuntime:
    assert runtime.trace is not None
    runtime.trace.flush()
    return runtime


def test_before_the_production_runs_the_pages_answer_and_resend_waits(
    runtime: LocalRuntime, client: FlaskClient
) -> None:
    home = client.get("/")
    refused = client.post("/kafka", json={"name": "x", "price": -1})
    replay = client.post("/messages/replay", headers={TOKEN_HEADER: TOKEN})
    page = client.get("/messages")

    assert (home.status_code, home.get_json()["messages"]) == (404, "/messages")
    assert (refused.status_code, refused.get_json()) == (
        400,
        {"error": "price must not be negative", "field": "price"},
    )
    assert (replay.status_code, replay.get_json()) == (503, NOT_RUNNING)
    assert page.status_code == 200
    assert find_sessions(runtime.trace_engine, 10) == []  # no trace to keep the refusal in yet


def test_the_door_stores_and_its_refusal_is_a_rejected_session_of_its_own(
    runtime: LocalRuntime, client: FlaskClient, database: Path
) -> None:
    runtime.start()

    stored = client.post("/kafka", json={"name": "apple", "price": 2})
    refused = client.post("/kafka", json={"name": "pear", "price": "2"})

    assert stored.status_code == 200, stored.text
    assert stored.get_json()["id"] == 1
    assert refused.status_code == 400
    (rejected,) = find_sessions(flushed(runtime).trace_engine, 10, status=REJECTED)
    hops = session_hops(runtime.trace_engine, rejected.id)
    assert [(hop.source, hop.target, hop.message_class) for hop in hops] == [
        (HTTP_CLIENT, REST_DOOR, "POST /kafka"),
        (REST_DOOR, HTTP_CLIENT, "HTTP 400 Bad Request"),
    ]
    assert hops[0].body == '{"name": "pear", "price": "2"}'
    assert hops[0].error == "HTTP 400: price must be a number, not a string"
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM product").fetchall() == [("apple",)]


def test_resend_goes_through_the_running_production_and_marks_the_input_resent(
    runtime: LocalRuntime, client: FlaskClient, database: Path
) -> None:
    runtime.start()
    with storage_outage(database):
        hand_over(runtime, b'{"name": "late", "price": 3}', 0)
    (failed,) = find_sessions(flushed(runtime).trace_engine, 10, status="Error")

    without_token = client.post("/messages/resend", data={"session": failed.id})
    resent = client.post(
        "/messages/resend", data={"session": failed.id, "reply": "json", "token": TOKEN}
    )

    assert without_token.status_code == 403
    assert resent.status_code == 200, resent.text
    outcome = resent.get_json()
    assert (outcome["session"], outcome["target"], outcome["error"]) == (
        failed.id,
        KAFKA_DEMO_BP,
        None,
    )
    first_hop = session_hops(runtime.trace_engine, failed.id)[0]
    assert (first_hop.source, first_hop.status) == (KAFKA_DEMO_BS, RESENT)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM product").fetchall() == [("late",)]
