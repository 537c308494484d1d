"""app.py's way to the service: IoP's director, one service per thread, never at import."""

import threading
from unittest.mock import MagicMock

import pytest
from iop import PydanticMessage

import app as iris_app_module
from kafka_demo.defaults import KAFKA_DEMO_BP, KAFKA_REST_BS
from kafka_demo.msg import ProductNotStored, ProductRejected, ProductStored
from kafka_demo.rest.contract import MAX_BODY_BYTES, SENT_MESSAGE, create_app
from kafka_demo.rest.gateway import IRIS_UNREACHABLE_TEXT, PRODUCTION_NOT_RUNNING_TEXT
from kafka_demo.rest.iris.director_gateway import DirectorGateway
from tests.support.doors import Door, State

APPLE = {"name": "apple", "price": 1}


@pytest.fixture
def door_kind() -> str:
    return "iris_wsgi"


def test_no_service_is_created_before_the_first_request(open_door) -> None:
    door: Door = open_door(State.RUNNING)

    assert door.director.created == []
    assert door.client.post("/kafka", json=APPLE).status_code == 200
    assert door.director.created == [KAFKA_REST_BS]


def test_one_service_serves_the_requests_of_a_thread(open_door) -> None:
    door: Door = open_door(State.RUNNING)

    statuses = [door.client.post("/kafka", json=APPLE).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert door.director.created == [KAFKA_REST_BS]
    assert door.row_count() == 3


def test_the_service_is_created_again_after_a_failure(open_door) -> None:
    door: Door = open_door(State.RUNNING)
    first = door.client.post("/kafka", json=APPLE)
    bp = door.production.items.pop(KAFKA_DEMO_BP)

    while_bp_is_away = door.client.post("/kafka", json=APPLE)
    door.production.items[KAFKA_DEMO_BP] = bp
    after = door.client.post("/kafka", json=APPLE)

    assert [first.status_code, while_bp_is_away.status_code, after.status_code] == [200, 503, 200]
    assert while_bp_is_away.get_json() == {"error": PRODUCTION_NOT_RUNNING_TEXT}
    assert door.director.created == [KAFKA_REST_BS, KAFKA_REST_BS]


class AnsweringService:
    """A service object that answers every input with the same reply."""

    def __init__(self, reply: object) -> None:
        self.reply = reply

    def on_process_input(self, body: str) -> object:
        return self.reply


def test_each_thread_gets_its_own_service() -> None:
    created: list[AnsweringService] = []

    def create(name: str) -> AnsweringService:
        created.append(AnsweringService(None))
        return created[-1]

    gateway = DirectorGateway(create_service=create)
    threads = [threading.Thread(target=gateway.check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(created) == 2


def test_outside_iris_the_wrappers_stand_ins_mean_iris_is_unreachable() -> None:
    """Outside IRIS, IoP's iris wrapper answers every call with a MagicMock; it is refused."""
    client = create_app(DirectorGateway(create_service=lambda name: MagicMock())).test_client()

    response = client.post("/kafka", json=APPLE)
    health = client.get("/health")

    assert (response.status_code, response.get_json()) == (503, {"error": IRIS_UNREACHABLE_TEXT})
    assert health.status_code == 503


def test_an_answer_that_is_not_a_reply_message_is_a_server_fault() -> None:
    gateway = DirectorGateway(create_service=lambda name: AnsweringService("stored, probably"))
    client = create_app(gateway).test_client()

    response = client.post("/kafka", json=APPLE)

    assert (response.status_code, response.get_json()) == (500, {"error": "internal server error"})


def post_answered_with(reply: object) -> tuple[int, object]:
    """POST a valid product through a gateway whose service answers `reply`."""
    gateway = DirectorGateway(create_service=lambda name: AnsweringService(reply))
    response = create_app(gateway).test_client().post("/kafka", json=APPLE)
    return response.status_code, response.get_json()


def test_a_product_stored_reply_is_a_200_with_its_route_and_id() -> None:
    assert post_answered_with(ProductStored(route="iris", id=7)) == (
        200,
        {"message": SENT_MESSAGE, "route": "iris", "id": 7},
    )


def test_a_product_rejected_reply_is_a_400_naming_the_field() -> None:
    reply = ProductRejected(reason="name is reserved", field="name")

    assert post_answered_with(reply) == (400, {"error": "name is reserved", "field": "name"})


def test_a_product_rejected_reply_without_a_field_names_none() -> None:
    assert post_answered_with(ProductRejected(reason="not a product")) == (
        400,
        {"error": "not a product"},
    )


def test_another_message_of_the_production_is_a_server_fault() -> None:
    status, body = post_answered_with(ProductNotStored(reason="refused by the table"))

    assert (status, body) == (500, {"error": "internal server error"})


class LookAlikeStored(PydanticMessage):
    """A message that only carries ProductStored's name and fields, not its type."""

    route: str
    id: int


LookAlikeStored.__module__ = ProductStored.__module__
LookAlikeStored.__qualname__ = ProductStored.__qualname__


def test_a_reply_is_matched_by_its_type_not_by_its_class_name() -> None:
    status, body = post_answered_with(LookAlikeStored(route="sql", id=1))

    assert (status, body) == (500, {"error": "internal server error"})


def test_the_module_app_is_the_contract_app() -> None:
    assert iris_app_module.app.name == "kafka_demo.rest.contract"
    assert iris_app_module.app.config["MAX_CONTENT_LENGTH"] == MAX_BODY_BYTES + 1
