"""Every door of a running stack, end to end: answer, one row in IRIS, a BS -> BP -> BO trace."""

import json
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.e2e import stack
from tests.e2e.stack import DOORS, Door

PRICE = Decimal("12.50")


def _bad_body(case: str, name: str) -> tuple[bytes, str | None]:
    """A body that must get 400, carrying the probe name somewhere, and the field named."""
    if case == "not-json":
        return f'{{"name": "{name}", "price": 10'.encode(), None
    if case == "no-name":
        return json.dumps({"product": name, "price": 10}).encode(), "name"
    return json.dumps({"name": name, "price": -1}).encode(), "price"


BAD_CASES = ("not-json", "no-name", "negative-price")


def _name(where: str) -> str:
    return f"e2e-{where}-{uuid.uuid4().hex[:12]}"


def _one_row(db: sa.Engine, name: str) -> list[tuple[str, Decimal]]:
    return stack.eventually(lambda: stack.products_named(db, name), lambda rows: len(rows) >= 1)


def _assert_stored_once(db: sa.Engine, name: str) -> None:
    rows = _one_row(db, name)
    assert rows == [(name, PRICE)]
    # A redelivery or a second consumer would add a row a little later.
    assert stack.eventually(lambda: stack.products_named(db, name), lambda r: False, 3) == rows


def _assert_traced(db: sa.Engine, since: int, services: frozenset[str], count: int = 1) -> None:
    sessions = stack.eventually(
        lambda: stack.stored_sessions(db, since, services), lambda found: len(found) >= count
    )
    assert len(sessions) >= count, stack.sessions_since(db, since)
    assert stack.errors_since(db, since) == []


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.name)
def test_health_answers_ok_with_iris_reachable_on_each_door(door: Door) -> None:
    reply = stack.request(door, "GET", "/health")
    assert reply.status == 200, reply.body
    assert reply.body == {"status": "ok", "iris": True}


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.name)
def test_each_door_stores_one_row_traced_through_bs_bp_bo(db: sa.Engine, door: Door) -> None:
    since = stack.last_header_id(db)
    name = _name(door.name)
    reply = stack.post_product(door, {"name": name, "price": float(PRICE)})
    assert reply.status == 200, reply.body
    _assert_stored_once(db, name)
    _assert_traced(db, since, frozenset({stack.REST_BS}))


def test_kafka_records_on_both_partitions_are_each_stored_once(db: sa.Engine) -> None:
    since = stack.last_header_id(db)
    names = [_name(f"kafka-p{partition}") for partition in (0, 1)]
    stack.produce(
        [
            (partition, json.dumps({"name": name, "price": float(PRICE)}).encode())
            for partition, name in enumerate(names)
        ]
    )
    for name in names:
        _assert_stored_once(db, name)
    _assert_traced(db, since, stack.KAFKA_SERVICES, count=2)


def test_iop_test_record_goes_through_kafka_and_is_stored_once(db: sa.Engine) -> None:
    since = stack.last_header_id(db)
    name = _name("iop-test")
    result = stack.iop_test({"name": name, "price": float(PRICE)})
    assert result.returncode == 0, result.stdout + result.stderr
    _assert_stored_once(db, name)
    _assert_traced(db, since, stack.KAFKA_SERVICES)


@pytest.mark.parametrize("case", BAD_CASES)
@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.name)
def test_bad_input_gets_400_naming_the_field_and_the_name_it_sent_is_not_stored(
    db: sa.Engine, door: Door, case: str
) -> None:
    name = _name(f"bad-{case}-{door.name}")
    body, field = _bad_body(case, name)
    assert name.encode() in body
    reply = stack.request(door, "POST", "/kafka", body)
    assert reply.status == 400, reply.body
    assert isinstance(reply.body, dict) and reply.body["error"], reply.body
    assert reply.body.get("field") == field, reply.body
    assert stack.eventually(lambda: stack.products_named(db, name), lambda rows: False, 3) == []
