"""Hypothesis against the REST contract: never a 5xx for client input, every 4xx a JSON reason.

First through Flask's test client on both doors over a real LocalProduction,
then a few hundred requests through the real gunicorn of `kafka-demo local`,
whose single worker must still be the one that booted.
"""

import http.client
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.support import figures, scaled
from tests.support.doors import Door, State
from tests.support.local_process import LocalProcess

CLIENT_CASES = scaled(150, 1_000)
GUNICORN_CASES = scaled(120, 400)

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
names = st.one_of(st.text(max_size=300), st.integers(), st.none(), st.lists(st.text(), max_size=2))
prices = st.one_of(
    *(st.decimals(allow_nan=False, allow_infinity=False, places=p) for p in (0, 2, 3, 9)),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "1" * 5000, "-0", "1e-7"]),
    st.text(max_size=10).map(json.dumps),
)


@st.composite
def product_texts(draw: st.DrawFn) -> bytes:
    """JSON objects close to a product, numbers written as JSON text (NaN and long ones too)."""
    fields = []
    if draw(st.integers(0, 9)):  # now and then a field is missing
        fields.append(f'"name": {json.dumps(draw(names))}')
    if draw(st.integers(0, 9)):
        fields.append(f'"price": {draw(prices)}')
    draw(st.randoms()).shuffle(fields)
    return ("{" + ", ".join(fields) + "}").encode()


bodies = st.one_of(
    product_texts(),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
content_types = st.one_of(
    st.just("application/json"),
    st.sampled_from(
        [
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/vnd.api+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
            "",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
)
requests = st.tuples(
    st.sampled_from(["POST"] * 8 + ["GET", "PUT", "DELETE", "PATCH"]),
    st.sampled_from(["/kafka"] * 8 + ["/", "/health", "/kafka/", "/nowhere"]),
    content_types,
    bodies,
)


def check_answer(status: int, body: bytes, seen: dict[str, int]) -> None:
    """The contract for client input: no 5xx; a 4xx is a JSON object whose `error` says why."""
    seen["cases"] += 1
    if status >= 500:
        seen["5xx"] += 1
    assert status < 500, (status, body[:300])
    if 400 <= status < 500:
        answer = json.loads(body)
        assert isinstance(answer, dict) and isinstance(answer.get("error"), str), answer
        assert answer["error"].strip(), answer


def fuzz_settings(examples: int) -> settings:
    """No deadline or example database: each case is a real request, and runs are counted."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.mark.parametrize("door_kind", ["iris_wsgi", "standalone"])
def test_fuzzed_requests_through_both_doors_get_no_5xx_and_json_reasons(
    open_door: Callable[[State], Door], door_kind: str
) -> None:
    door = open_door(State.RUNNING)
    seen = {"cases": 0, "5xx": 0}

    @fuzz_settings(CLIENT_CASES)
    @given(request=requests)
    def fuzz(request: tuple[str, str, str, bytes]) -> None:
        method, path, content_type, body = request
        answer = door.client.open(
            path, method=method, data=body, headers={"Content-Type": content_type}
        )
        check_answer(answer.status_code, answer.get_data(), seen)

    fuzz()
    assert door.client.get("/health").status_code == 200
    figures(f"FUZZ door={door_kind}", cases=seen["cases"], server_errors=seen["5xx"])


def test_fuzzed_requests_through_gunicorn_leave_its_worker_alive(
    start_local: Callable[[], LocalProcess],
) -> None:
    runtime = start_local()
    seen = {"cases": 0, "5xx": 0}
    connection = http.client.HTTPConnection("127.0.0.1", runtime.port, timeout=30)

    @fuzz_settings(GUNICORN_CASES)
    @given(request=requests)
    def fuzz(request: tuple[str, str, str, bytes]) -> None:
        method, path, content_type, body = request
        status, answer = send(connection, method, path, content_type, body)
        check_answer(status, answer, seen)

    try:
        fuzz()
    finally:
        connection.close()
    health = send(
        http.client.HTTPConnection("127.0.0.1", runtime.port, timeout=10), "GET", "/health"
    )
    log = runtime.log_path.read_text(errors="replace")
    workers_booted = log.count("Booting worker")
    runtime.stop()

    figures(
        "FUZZ door=gunicorn",
        cases=seen["cases"],
        server_errors=seen["5xx"],
        workers_booted=workers_booted,
    )
    assert health[0] == 200
    assert workers_booted == 1, "the worker died and was replaced"


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    content_type: str = "",
    body: bytes | None = None,
) -> tuple[int, bytes]:
    headers: dict[str, Any] = {"Content-Type": content_type} if content_type else {}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()
