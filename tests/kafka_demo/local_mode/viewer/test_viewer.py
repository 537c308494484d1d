"""/messages, the local Message Viewer: list, filters, SVG trace, bodies, escaping."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event

from kafka_demo.local_mode.trace import queries
from kafka_demo.local_mode.trace.queries import find_sessions
from kafka_demo.local_mode.trace.store import SqlTrace
from kafka_demo.local_mode.trace.vocabulary import Hop, error_gist, short_class
from kafka_demo.local_mode.viewer.pages import messages_blueprint
from kafka_demo.local_mode.viewer.sequence import COLOURS, sequence_diagram
from kafka_demo.local_mode.web.door_trace import trace_door_refusals
from kafka_demo.rest.contract import create_app
from kafka_demo.rest.replies import Rejected, Stored

SVG = "{http://www.w3.org/2000/svg}"
BS, REST_BS, BP = "Python.KafkaDemoBS", "Python.KafkaRestBS", "Python.KafkaDemoBP"
STORE, DLQ_BO = "Python.LocalStorageBO", "Python.KafkaDemoBO"
STORAGE_ERROR = (
    "Exception in Python class: KafkaDemoBP - DeliveryError - Exception in Python class: "
    "LocalStorageBO - IntegrityError - (sqlite3.IntegrityError) disk says no\n[SQL: INSERT ...]"
)
HOSTILE = '</pre><script>alert("owned")</script><img src=x onerror=alert(1)>'
_clock = iter(datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=i) for i in range(999))


def hop(source: str, target: str, kind: str, cls: str, body: str = "{}", **kw: str) -> Hop:
    return Hop(0, source, target, kind, f"kafka_demo.msg.{cls}", body, time=next(_clock), **kw)


STORED_BY_HTTP = [
    hop(REST_BS, BP, "Request", "KafkaRawMessage", '{"value": "{\\"name\\": \\"web\\"}"}'),
    hop(BP, STORE, "Request", "ProductSQLMessage", '{"name": "web", "price": "1"}'),
    hop(STORE, BP, "Response", "ProductStored", '{"route": "sql", "id": 1}'),
    hop(BP, REST_BS, "Response", "ProductStored", '{"route": "sql", "id": 1}'),
]
STORAGE_FAILED = [
    hop(BS, BP, "Request", "KafkaRawMessage", status="Error", error=STORAGE_ERROR),
    hop(BP, STORE, "Request", "ProductSQLMessage", status="Error", error=STORAGE_ERROR),
]
DEAD_LETTERED = [
    hop(BS, BP, "Request", "KafkaRawMessage", '{"value": "[]"}'),
    hop(
        BP,
        DLQ_BO,
        "Request",
        "KafkaDeadLetterMessage",
        '{"reason": "payload must be a JSON object, not an array"}',
    ),
    hop(DLQ_BO, BP, "Response", "KafkaRecordSent", '{"topic": "kafka_demo.dlq"}'),
]
HOSTILE_INPUT = [
    hop(REST_BS, BP, "Request", "KafkaRawMessage", HOSTILE),
    hop(BP, REST_BS, "Response", "ProductRejected", f'{{"reason": "{HOSTILE[:20]}"}}'),
]


def store_session(trace: SqlTrace, hops: list[Hop]) -> int:
    session_id = trace.new_session()
    for original in hops:
        copy = Hop(session_id, **{k: v for k, v in vars(original).items() if k != "session_id"})
        status = original.status if original.status != "Delivered" else "Completed"
        trace.finish(trace.record(copy), status, original.error)
    trace.end_session(session_id)
    return session_id


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return create_engine(f"sqlite:///{tmp_path / 'trace.db'}")


@pytest.fixture
def trace(engine: Engine) -> SqlTrace:
    return SqlTrace(engine)


@pytest.fixture
def sessions(trace: SqlTrace) -> dict[str, int]:
    return {
        name: store_session(trace, hops)
        for name, hops in [
            ("stored", STORED_BY_HTTP),
            ("failed", STORAGE_FAILED),
            ("dead", DEAD_LETTERED),
            ("hostile", HOSTILE_INPUT),
        ]
    }


@pytest.fixture
def client(engine: Engine, trace: SqlTrace) -> FlaskClient:
    app = Flask(__name__)
    app.register_blueprint(messages_blueprint(engine))
    return app.test_client()


def page(client: FlaskClient, query: str = "") -> str:
    response = client.get(f"/messages{query}")
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/html"
    return response.text


def listed(html: str) -> list[tuple[int, str]]:
    """The session list's rows, as (session id, status), top to bottom."""
    rows = re.findall(r'data-session="(\d+)" data-status="([^"]+)"', html)
    return [(int(session), status) for session, status in rows]


def trace_svg(html: str) -> ET.Element:
    """The selected session's SVG, parsed as XML: well-formed, or this fails."""
    found = re.search(r'<svg class="trace".*?</svg>', html, re.S)
    assert found, "no trace on the page"
    return ET.fromstring(found.group(0))


def arrows(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if "hop" in g.get("class", "").split()]


def lifelines(svg: ET.Element) -> list[str]:
    return [g.get("data-item", "") for g in svg.iter(f"{SVG}g") if g.get("class") == "item"]


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_the_list_shows_sessions_newest_first_with_their_status(
    client: FlaskClient, sessions: dict[str, int]
) -> None:
    html = page(client)
    assert listed(html) == [
        (sessions["hostile"], "Rejected"),
        (sessions["dead"], "Dead-lettered"),
        (sessions["failed"], "Error"),
        (sessions["stored"], "Completed"),
    ]
    row = re.search(rf'data-session="{sessions["failed"]}".*?</tr>', html, re.S)
    assert row is not None
    assert BS in row.group(0)
    assert "KafkaRawMessage" in row.group(0)
    assert "00:00:04.000" in row.group(0)


def test_the_trace_has_a_lifeline_per_item_and_one_arrow_per_hop(
    client: FlaskClient, sessions: dict[str, int]
) -> None:
    svg = trace_svg(page(client, f"?session={sessions['stored']}"))
    assert lifelines(svg) == [REST_BS, BP, STORE]
    drawn = arrows(svg)
    assert [g.get("class") for g in drawn] == [
        "hop request normal",
        "hop request normal",
        "hop response normal",
        "hop response normal",
    ]
    paths = [g.find(f"{SVG}path") for g in drawn]
    assert [p is not None and p.get("stroke-dasharray") is not None for p in paths] == [
        False,
        False,
        True,
        True,
    ]
    assert [texts(g)[0] for g in drawn] == [
        "1. KafkaRawMessage",
        "2. ProductSQLMessage",
        "3. ProductStored",
        "4. ProductStored",
    ]


def test_arrows_go_from_the_source_lifeline_to_the_target_one() -> None:
    diagram = sequence_diagram(STORED_BY_HTTP)
    x = {line.name: line.x for line in diagram.lifelines}
    assert [(a.x1, a.x2) for a in diagram.arrows] == [
        (x[REST_BS], x[BP]),
        (x[BP], x[STORE]),
        (x[STORE], x[BP]),
        (x[BP], x[REST_BS]),
    ]
    assert [a.y for a in diagram.arrows] == sorted({a.y for a in diagram.arrows})
    assert diagram.width >= max(x.values()) and diagram.height > diagram.arrows[-1].y


def test_an_error_is_red_and_says_what_failed(
    client: FlaskClient, sessions: dict[str, int]
) -> None:
    html = page(client, f"?session={sessions['failed']}")
    drawn = arrows(trace_svg(html))
    assert len(drawn) == 2
    for g in drawn:
        assert "error" in g.get("class", "").split()
        path, head = g.find(f"{SVG}path"), g.find(f"{SVG}polygon")
        assert path is not None and path.get("stroke") == COLOURS["error"] == "#c62828"
        assert head is not None and head.get("fill") == COLOURS["error"]
        assert texts(g)[1] == "\u2716 Error: IntegrityError - disk says no"
    assert STORAGE_ERROR.split("\n")[1] in html  # the whole error, in the message's details


def test_dead_letters_and_rejections_are_marked(
    client: FlaskClient, sessions: dict[str, int]
) -> None:
    dead = arrows(trace_svg(page(client, f"?session={sessions['dead']}")))
    assert [g.get("class") for g in dead] == [
        "hop request normal",
        "hop request dead-letter",
        "hop response normal",
    ]
    assert texts(dead[1])[1] == "\u2709 Dead letter: payload must be a JSON object, not an array"
    path = dead[1].find(f"{SVG}path")
    assert path is not None
    assert path.get("stroke") == COLOURS["dead-letter"]

    rejected = arrows(trace_svg(page(client, f"?session={sessions['hostile']}")))
    assert rejected[1].get("class") == "hop response rejected"
    assert texts(rejected[1])[1] == "\u2298 Rejected"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=Error", ["failed"]),
        ("?status=Dead-lettered", ["dead"]),
        ("?status=Rejected", ["hostile"]),
        ("?status=Completed", ["stored"]),
        (f"?source={REST_BS}", ["hostile", "stored"]),
        (f"?source={BS}", ["dead", "failed"]),
        (f"?source={BS}&status=Error", ["failed"]),
        (f"?source={REST_BS}&status=Error", []),
    ],
)
def test_filters_by_status_and_source_item_are_applied_by_the_server(
    client: FlaskClient, sessions: dict[str, int], query: str, expected: list[str]
) -> None:
    html = page(client, query)
    assert [session for session, _ in listed(html)] == [sessions[name] for name in expected]
    if not expected:
        assert "No session matches these filters yet." in html
        assert '<svg class="trace"' not in html


def test_the_filters_offer_every_status_and_every_source_item(
    client: FlaskClient, sessions: dict[str, int]
) -> None:
    html = page(client, "?status=Error")
    assert re.findall(r"<option( selected)?>([^<]+)</option>", html) == [
        ("", "Completed"),
        (" selected", "Error"),
        ("", "Rejected"),
        ("", "Dead-lettered"),
        ("", "Resent"),
        ("", BS),
        ("", REST_BS),
    ]


def test_an_unknown_status_is_refused(client: FlaskClient) -> None:
    response = client.get("/messages?status=Lost")
    assert response.status_code == 400
    assert response.mimetype == "application/json"  # like every other error of the server
    assert response.get_json() == {
        "error": "unknown status 'Lost'; one of Completed, Error, Rejected, Dead-lettered, Resent",
        "field": "status",
    }


def test_hostile_text_in_a_body_stays_text(client: FlaskClient, sessions: dict[str, int]) -> None:
    html = page(client, f"?session={sessions['hostile']}")
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;/pre&gt;&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in html
    assert len(arrows(trace_svg(html))) == 2

    first_message = re.findall(r'href="(/messages/hop/\d+)"', html)[0]
    message = client.get(first_message)
    assert message.status_code == 200
    assert "<script>alert" not in message.text
    assert "&lt;script&gt;alert(&#34;owned&#34;)" in message.text


def test_each_body_is_in_the_page_and_has_a_view_of_its_own(
    client: FlaskClient, sessions: dict[str, int], engine: Engine
) -> None:
    html = page(client, f"?session={sessions['dead']}")
    assert html.count('<details class="hop') == 3
    assert "&#34;reason&#34;: &#34;payload must be a JSON object, not an array&#34;" in html
    links = re.findall(r'href="(/messages/hop/\d+)"', html)
    assert len(set(links)) == 3
    message = client.get(links[1])
    assert message.status_code == 200
    assert "kafka_demo.msg.KafkaDeadLetterMessage" in message.text
    assert "{\n  &#34;reason&#34;: &#34;payload must be a JSON object" in message.text
    assert client.get("/messages/hop/9999").status_code == 404


def test_an_empty_trace_says_how_to_fill_it(client: FlaskClient) -> None:
    html = page(client)
    assert listed(html) == []
    assert "No session yet." in html
    assert "POST a product to /kafka" in html


def test_the_page_refreshes_itself_unless_paused(client: FlaskClient) -> None:
    assert "}, 5000);" in page(client)
    assert "}, 30000);" in page(client, "?refresh=30")
    paused = page(client, "?refresh=0")
    assert "<script>" not in paused
    assert "auto-refresh off" in paused


def test_the_rest_doors_refusal_is_listed_as_rejected(engine: Engine, trace: SqlTrace) -> None:
    class StoringGateway:
        def submit(self, body: str) -> Stored | Rejected:
            return Stored(route="sql", id=1)

        def check(self) -> None:
            pass

    app = create_app(StoringGateway())
    trace_door_refusals(app, lambda: trace)
    app.register_blueprint(messages_blueprint(engine))
    client = app.test_client()
    assert client.post("/kafka", json={"name": "ok", "price": 1}).status_code == 200
    refused = client.post("/kafka", json={"name": HOSTILE, "price": -1})
    assert (refused.status_code, refused.json) == (
        400,
        {"error": "price must not be negative", "field": "price"},
    )

    html = page(client)
    assert [status for _, status in listed(html)] == ["Rejected"]
    drawn = arrows(trace_svg(html))
    assert lifelines(trace_svg(html)) == ["HTTP client", "REST door"]
    assert [texts(g)[0] for g in drawn] == ["1. POST /kafka", "2. HTTP 400 Bad Request"]
    assert texts(drawn[0])[1] == "\u2298 Rejected: HTTP 400: price must not be negative"
    assert "never entered the production" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(\\&#34;owned\\&#34;)" in html  # the request body, kept


def test_error_gist_keeps_the_innermost_cause() -> None:
    assert error_gist(STORAGE_ERROR) == "IntegrityError - disk says no"
    assert error_gist("ERROR <Ens>ErrBusinessDispatchNameNotRegistered: X") == (
        "ERROR <Ens>ErrBusinessDispatchNameNotRegistered: X"
    )


@pytest.mark.parametrize("chunk", [1, 3])
def test_sessions_are_found_the_same_when_read_a_few_at_a_time(
    engine: Engine, sessions: dict[str, int], monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    filters: list[dict[str, str]] = [{}, {"status": "Error"}, {"source": BS}, {"source": REST_BS}]
    whole = [find_sessions(engine, 50, **f) for f in filters]
    monkeypatch.setattr(queries, "SCAN_CHUNK", chunk)
    assert [find_sessions(engine, 50, **f) for f in filters] == whole
    assert [s.id for s in find_sessions(engine, 2)] == [sessions["hostile"], sessions["dead"]]
    assert [s.id for s in find_sessions(engine, 1, source=BS)] == [sessions["dead"]]
    assert find_sessions(engine, 5, session_id=sessions["failed"])[0].status == "Error"


def test_class_names_are_shown_as_the_cli_shows_them() -> None:
    assert short_class("kafka_demo.msg.ProductStored") == "ProductStored"
    assert short_class("EnsLib.Kafka.Message") == "EnsLib.Kafka.Message"
    iris_hop = Hop(
        1, "EnsLib.Kafka.Service", "Python.KafkaDemoBP", "Request", "EnsLib.Kafka.Message", "{}"
    )
    (arrow,) = sequence_diagram([iris_hop]).arrows
    assert arrow.label == "1. EnsLib.Kafka.Message"


def test_a_reload_reads_the_trace_without_checking_its_schema(
    client: FlaskClient, engine: Engine, sessions: dict[str, int]
) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    html = page(client, f"?session={sessions['failed']}")
    assert "IntegrityError - disk says no" in html
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements)
