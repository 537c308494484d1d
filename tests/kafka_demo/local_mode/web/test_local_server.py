"""The local server as a user reaches it: the door and /messages served by one app."""

import json
import urllib.error
import urllib.request

from kafka_demo.rest.contract import MAX_BODY_BYTES
from tests.support.local_process import LocalProcess, kafka_demo, post_chunked


def test_the_local_door_refuses_a_chunked_body_over_the_limit_and_a_bogus_filter_in_json(
    local: LocalProcess,
) -> None:
    local.start()
    head = b'{"name": "apple", "price": 1}'

    over = post_chunked(f"{local.url}/kafka", head + b" " * MAX_BODY_BYTES)
    under = post_chunked(f"{local.url}/kafka", head + b" " * 100)
    try:
        urllib.request.urlopen(f"{local.url}/messages?status=Bogus", timeout=10)
        raise AssertionError("a bogus status was accepted")
    except urllib.error.HTTPError as error:
        bogus = (error.code, error.headers["Content-Type"], json.loads(error.read()))

    assert over == (413, {"error": f"request body is larger than {MAX_BODY_BYTES} bytes"})
    assert under[0] == 200, under
    assert bogus == (
        400,
        "application/json",
        {
            "error": "unknown status 'Bogus'; one of Completed, Error, Rejected, Dead-lettered,"
            " Resent",
            "field": "status",
        },
    )
    products = kafka_demo("products", "--db", local.db_url).stdout
    assert "1 product(s)" in products
