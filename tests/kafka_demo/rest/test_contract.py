"""The REST contract, one table, run against both doors (app.py and app_standalone.py).

Each row is a request, the state of IRIS and the production, and the expected
status and JSON body; a 200 row also names the row that must now be in the
database. A request the door refuses itself must not reach IRIS at all.
"""

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest

from kafka_demo.rest.contract import MAX_BODY_BYTES, SENT_MESSAGE
from kafka_demo.rest.gateway import IRIS_UNREACHABLE_TEXT, PRODUCTION_NOT_RUNNING_TEXT
from tests.support.doors import RESERVED_NAME, STORAGE_ROUTES, Door, State

JSON = "application/json"
UNICODE_NAME = "Crème brûlée – 東京 😀"
LONGEST_NAME = "n" * 255
SERVER_FAULT = {"error": "internal server error"}


@dataclass(frozen=True)
class Case:
    id: str
    body: str | bytes | None
    status: int
    expected: dict[str, object] | None = None
    """The exact JSON body; None for a 200, whose route and id are checked against the row."""
    stored: tuple[str, Decimal] | None = None
    state: State = State.RUNNING
    method: str = "POST"
    path: str = "/kafka"
    content_type: str | None = JSON
    reaches_production: bool = False


def valid(case_id: str, body: str, name: str, price: str, **kwargs: object) -> Case:
    return Case(
        case_id, body, 200, stored=(name, Decimal(price)), reaches_production=True, **kwargs
    )


def refused(
    case_id: str, body: str | bytes | None, error: str, field: str | None = None, **kwargs: object
) -> Case:
    expected: dict[str, object] = {"error": error}
    if field is not None:
        expected["field"] = field
    return Case(case_id, body, 400, expected, **kwargs)


CASES = [
    valid("integer price", '{"name": "apple", "price": 10}', "apple", "10.00"),
    valid("one decimal", '{"name": "apple", "price": 10.5}', "apple", "10.50"),
    valid("price in cents", '{"name": "apple", "price": 19.99}', "apple", "19.99"),
    valid("exponent 1e2", '{"name": "apple", "price": 1e2}', "apple", "100.00"),
    valid("largest price", '{"name": "apple", "price": 99999999.99}', "apple", "99999999.99"),
    valid("zero price", '{"name": "free", "price": 0}', "free", "0.00"),
    valid("unicode name", f'{{"name": "{UNICODE_NAME}", "price": 3}}', UNICODE_NAME, "3.00"),
    valid("255-character name", f'{{"name": "{LONGEST_NAME}", "price": 1}}', LONGEST_NAME, "1.00"),
    valid(
        "unknown fields ignored",
        '{"name": "pear", "price": 2.25, "colour": "green", "tags": [1]}',
        "pear",
        "2.25",
    ),
    valid(
        "charset in content type",
        '{"name": "plum", "price": 4}',
        "plum",
        "4.00",
        content_type="application/json; charset=utf-8",
    ),
    refused(
        "price as string",
        '{"name": "apple", "price": "10.50"}',
        "price must be a number, not a string",
        "price",
    ),
    refused(
        "price NaN",
        '{"name": "apple", "price": NaN}',
        "payload is not valid JSON (NaN is not a JSON number)",
    ),
    refused(
        "price Infinity",
        '{"name": "apple", "price": Infinity}',
        "payload is not valid JSON (Infinity is not a JSON number)",
    ),
    refused(
        "negative price", '{"name": "apple", "price": -1}', "price must not be negative", "price"
    ),
    refused(
        "11 digits",
        '{"name": "apple", "price": 12345678901}',
        "price must have at most 8 digits before the decimal point",
        "price",
    ),
    refused(
        "5000-digit price",
        '{"name": "apple", "price": ' + "9" * 5000 + "}",
        "price must have at most 8 digits before the decimal point",
        "price",
    ),
    refused(
        "too many decimals",
        '{"name": "apple", "price": 10.123}',
        "price must have at most 2 decimal places",
        "price",
    ),
    refused(
        "boolean price",
        '{"name": "apple", "price": true}',
        "price must be a number, not a boolean",
        "price",
    ),
    refused("missing price", '{"name": "apple"}', "price is required", "price"),
    refused("missing name", '{"price": 1}', "name is required", "name"),
    refused("blank name", '{"name": "   ", "price": 1}', "name must not be blank", "name"),
    refused(
        "256-character name",
        f'{{"name": "{"n" * 256}", "price": 1}}',
        "name must be at most 255 characters, not 256",
        "name",
    ),
    refused(
        "lone surrogate in name",
        '{"name": "apple \\ud83d", "price": 1}',
        "name must be Unicode text, not a lone surrogate (\\ud83d at 6)",
        "name",
    ),
    refused(
        "name not a string",
        '{"name": 5, "price": 1}',
        "name must be a string, not a number",
        "name",
    ),
    refused("JSON array", "[1, 2]", "payload must be a JSON object, not an array"),
    refused("JSON string", '"apple"', "payload must be a JSON object, not a string"),
    refused(
        "malformed JSON", '{"name": ', "payload is not valid JSON (Expecting value at position 9)"
    ),
    refused("empty body", "", "payload is not valid JSON (Expecting value at position 0)"),
    refused(
        "not UTF-8",
        b'{"name": "\xff", "price": 1}',
        "payload is not valid UTF-8 (byte 10: b'\\xff')",
    ),
    refused(
        "invalid while IRIS is down",
        '{"name": "apple", "price": -1}',
        "price must not be negative",
        "price",
        state=State.IRIS_UNREACHABLE,
    ),
    refused(
        "rejected by the BP",
        f'{{"name": "{RESERVED_NAME}", "price": 1}}',
        "name is reserved",
        "name",
        state=State.BP_STRICTER,
        reaches_production=True,
    ),
    Case(
        "text/plain",
        '{"name": "apple", "price": 1}',
        415,
        {"error": "Content-Type must be application/json"},
        content_type="text/plain",
    ),
    Case(
        "no content type",
        '{"name": "apple", "price": 1}',
        415,
        {"error": "Content-Type must be application/json"},
        content_type=None,
    ),
    Case(
        "form post",
        "name=apple&price=1",
        415,
        {"error": "Content-Type must be application/json"},
        content_type="application/x-www-form-urlencoded",
    ),
    Case(
        "oversize body",
        '{"name": "apple", "price": 1, "pad": "' + "x" * MAX_BODY_BYTES + '"}',
        413,
        {"error": f"request body is larger than {MAX_BODY_BYTES} bytes"},
    ),
    Case(
        "IRIS unreachable",
        '{"name": "apple", "price": 1}',
        503,
        {"error": IRIS_UNREACHABLE_TEXT},
        state=State.IRIS_UNREACHABLE,
    ),
    Case(
        "production stopped",
        '{"name": "apple", "price": 1}',
        503,
        {"error": PRODUCTION_NOT_RUNNING_TEXT},
        state=State.PRODUCTION_STOPPED,
    ),
    Case(
        "BP not in the production",
        '{"name": "apple", "price": 1}',
        503,
        {"error": PRODUCTION_NOT_RUNNING_TEXT},
        state=State.BP_NOT_RUNNING,
        reaches_production=True,
    ),
    Case(
        "storage fails (server fault)",
        '{"name": "apple", "price": 1}',
        500,
        SERVER_FAULT,
        state=State.STORAGE_BROKEN,
        reaches_production=True,
    ),
    Case(
        "health",
        None,
        200,
        {"status": "ok", "iris": True},
        method="GET",
        path="/health",
        content_type=None,
    ),
    Case(
        "health, IRIS unreachable",
        None,
        503,
        {"status": "unavailable", "iris": False, "error": IRIS_UNREACHABLE_TEXT},
        state=State.IRIS_UNREACHABLE,
        method="GET",
        path="/health",
        content_type=None,
    ),
    Case(
        "health, production stopped",
        None,
        503,
        {"status": "unavailable", "iris": False, "error": PRODUCTION_NOT_RUNNING_TEXT},
        state=State.PRODUCTION_STOPPED,
        method="GET",
        path="/health",
        content_type=None,
    ),
    Case(
        "GET /kafka",
        None,
        405,
        {"error": "method GET is not allowed on /kafka"},
        method="GET",
        content_type=None,
    ),
    Case(
        "unknown path",
        '{"name": "apple", "price": 1}',
        404,
        {"error": "no such endpoint: use POST /kafka or GET /health"},
        path="/products",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_contract(case: Case, open_door, door_kind: str) -> None:
    door: Door = open_door(case.state)

    response = door.client.open(
        case.path, method=case.method, data=case.body, content_type=case.content_type
    )

    assert response.status_code == case.status, response.get_data(as_text=True)
    assert response.mimetype == JSON
    body = response.get_json()
    if case.expected is not None:
        assert body == case.expected
    else:
        assert body["message"] == SENT_MESSAGE
        assert body["route"] in STORAGE_ROUTES
        assert door.stored_row(body["id"]) == case.stored
    if case.stored is None:
        assert door.row_count() == 0
    sent = [case.body] if case.reaches_production else []
    assert door.requests_reaching_service() == sent
    if case.status in (400, 404, 405, 413, 415) and not case.reaches_production:
        assert door.iris_calls() == [], "a request the door refuses must not reach IRIS"


def test_stored_rows_accumulate_across_requests(open_door) -> None:
    door: Door = open_door(State.RUNNING)

    ids = [
        door.client.post("/kafka", json={"name": f"item {n}", "price": n}).get_json()["id"]
        for n in range(1, 4)
    ]

    assert [door.stored_row(row_id) for row_id in ids] == [
        ("item 1", Decimal("1.00")),
        ("item 2", Decimal("2.00")),
        ("item 3", Decimal("3.00")),
    ]
    assert door.row_count() == 3


def test_405_names_the_allowed_method(open_door) -> None:
    door: Door = open_door(State.RUNNING)

    response = door.client.get("/kafka")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_503_tells_the_client_when_to_retry(open_door) -> None:
    door: Door = open_door(State.IRIS_UNREACHABLE)

    response = door.client.post("/kafka", json={"name": "apple", "price": 1})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def test_server_fault_is_logged_and_not_shown(open_door, caplog: pytest.LogCaptureFixture) -> None:
    door: Door = open_door(State.STORAGE_BROKEN)

    response = door.client.post("/kafka", json={"name": "apple", "price": 1})

    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert response.get_json() == SERVER_FAULT
    for internal in ("Traceback", "sqlite", "nonexistent-directory", "LocalStorageBO", "Error"):
        assert internal not in text
    logged = [record for record in caplog.records if record.name == "kafka_demo.rest.contract"]
    assert logged and logged[-1].exc_info is not None
    assert "unable to open database file" in caplog.text


def test_a_body_the_table_refuses_for_good_gets_a_400_with_the_reason(open_door) -> None:
    """Not a 500: resending it would fail the same way; the client must change the body."""
    door: Door = open_door(State.TABLE_REFUSES)

    response = door.client.post("/kafka", json={"name": "dear", "price": 5000})

    assert response.status_code == 400
    assert response.get_json() == {
        "error": "the table refuses the product: CHECK constraint failed: price < 1000"
    }
    assert door.row_count() == 0


def test_parallel_requests_are_each_stored_once(open_door) -> None:
    door: Door = open_door(State.RUNNING)
    app = door.client.application
    names = [f"parallel {n}" for n in range(12)]

    def post(name: str) -> tuple[int, int]:
        response = app.test_client().post("/kafka", json={"name": name, "price": 1})
        return response.status_code, response.get_json()["id"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(post, names))

    assert [status for status, _ in answers] == [200] * len(names)
    assert [door.stored_row(row_id) for _, row_id in answers] == [
        (name, Decimal("1.00")) for name in names
    ]
    assert door.row_count() == len(names)


CHUNKED_SERVER = {"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}
"""What gunicorn (and any server that reads chunked bodies) tells the app: the body has no
declared size, and the server ends the stream where the body ends."""


@pytest.mark.parametrize(
    ("padding", "status"),
    [(MAX_BODY_BYTES, 413), (MAX_BODY_BYTES - 40, 200)],
    ids=["over the limit", "under it"],
)
def test_a_body_without_a_declared_size_is_held_to_the_limit_on_what_is_read(
    open_door, door_kind: str, padding: int, status: int
) -> None:
    """Chunked: never cut at the limit and parsed; trailing spaces would parse once cut."""
    door: Door = open_door(State.RUNNING)
    body = b'{"name": "apple", "price": 1}' + b" " * padding

    response = door.client.post(
        "/kafka",
        input_stream=io.BytesIO(body),
        content_type=JSON,
        environ_overrides=CHUNKED_SERVER,
    )

    assert response.status_code == status, response.get_data(as_text=True)
    if status == 413:
        assert response.get_json() == {
            "error": f"request body is larger than {MAX_BODY_BYTES} bytes"
        }
        assert door.row_count() == 0
        assert door.iris_calls() == []
    else:
        assert door.row_count() == 1


def test_a_body_of_exactly_the_limit_is_read_whole(open_door, door_kind: str) -> None:
    door: Door = open_door(State.RUNNING)
    head = b'{"name": "apple", "price": 1}'
    body = head + b" " * (MAX_BODY_BYTES - len(head))

    response = door.client.post(
        "/kafka", input_stream=io.BytesIO(body), content_type=JSON, environ_overrides=CHUNKED_SERVER
    )
    declared = door.client.post("/kafka", data=body + b" ", content_type=JSON)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert declared.status_code == 413
