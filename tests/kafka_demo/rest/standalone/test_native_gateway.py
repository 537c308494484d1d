"""app_standalone.py over the native API: which calls, in which order, on which connection."""

import subprocess
import sys
from pathlib import Path

import pytest

import app_standalone
from kafka_demo.rest.contract import SENT_MESSAGE
from kafka_demo.rest.gateway import IRIS_UNREACHABLE_TEXT
from kafka_demo.rest.standalone.native_gateway import NativeSettings
from tests.support.doors import TEST_IRIS, Door, State


@pytest.fixture
def door_kind() -> str:
    return "standalone"


APPLE = '{"name": "apple", "price": 1}'
PEAR = '{"name": "pear", "price": 2}'
CONNECT = (
    "connect",
    {
        "hostname": "iris.test",
        "port": 51972,
        "namespace": "IRISAPP",
        "username": "tester",
        "password": "secret",
    },
)
SERVICE = (
    "classMethodObject",
    "IOP.Director",
    "dispatchCreateBusinessService",
    "Python.KafkaRestBS",
)


def process_input(body: str) -> list[tuple[object, ...]]:
    return [SERVICE, ("IRISReference", None), ("invoke", "OnProcessInput", body)]


def post(door: Door, body: str) -> tuple[int, dict[str, object]]:
    response = door.client.post("/kafka", data=body, content_type="application/json")
    return response.status_code, response.get_json()


def test_first_request_connects_then_creates_the_service_then_invokes_it(open_door) -> None:
    door: Door = open_door(State.RUNNING)
    assert door.native is not None
    assert door.native.calls == [], "no connection before the first request"

    status, body = post(door, APPLE)

    assert (status, body["message"]) == (200, SENT_MESSAGE)
    assert door.native.calls == [CONNECT, ("createIRIS", 1), *process_input(APPLE)]


def test_one_connection_serves_every_request_of_the_worker(open_door) -> None:
    door: Door = open_door(State.RUNNING)
    assert door.native is not None

    statuses = [post(door, body)[0] for body in (APPLE, PEAR, APPLE)]

    assert statuses == [200, 200, 200]
    assert door.native.calls == [
        CONNECT,
        ("createIRIS", 1),
        *process_input(APPLE),
        *process_input(PEAR),
        *process_input(APPLE),
    ]
    assert len(door.native.connections) == 1


def test_a_broken_connection_is_reopened_on_the_next_request(open_door) -> None:
    door: Door = open_door(State.RUNNING)
    assert door.native is not None
    post(door, APPLE)
    door.native.break_connections()
    door.native.calls.clear()

    failed = post(door, PEAR)
    recovered = post(door, PEAR)

    assert failed == (503, {"error": IRIS_UNREACHABLE_TEXT})
    assert recovered[0] == 200
    assert door.native.calls == [
        SERVICE,
        ("close", 1),
        CONNECT,
        ("createIRIS", 2),
        *process_input(PEAR),
    ]
    assert door.requests_reaching_service() == [APPLE, PEAR]


def test_unreachable_iris_is_tried_again_on_every_request(open_door) -> None:
    door: Door = open_door(State.IRIS_UNREACHABLE)
    assert door.native is not None

    statuses = [post(door, APPLE)[0] for _ in range(2)]

    assert statuses == [503, 503]
    assert door.native.calls == [CONNECT, CONNECT]


def test_an_error_status_is_read_as_text_and_keeps_the_connection(open_door) -> None:
    door: Door = open_door(State.STORAGE_BROKEN)
    assert door.native is not None

    statuses = [post(door, body)[0] for body in (APPLE, PEAR)]

    assert statuses == [500, 500]
    status_text = ("classMethodString", "%SYSTEM.Status", "GetErrorText")
    assert door.native.calls == [
        CONNECT,
        ("createIRIS", 1),
        *process_input(APPLE),
        status_text,
        *process_input(PEAR),
        status_text,
    ]


def test_production_not_running_is_503_and_keeps_the_connection(open_door) -> None:
    door: Door = open_door(State.PRODUCTION_STOPPED)
    assert door.native is not None

    statuses = [post(door, body)[0] for body in (APPLE, PEAR)]

    assert statuses == [503, 503]
    assert door.native.calls == [CONNECT, ("createIRIS", 1), SERVICE, SERVICE]


def test_health_creates_the_service_over_the_same_connection(open_door) -> None:
    door: Door = open_door(State.RUNNING)
    assert door.native is not None

    health = door.client.get("/health")
    status, _ = post(door, APPLE)

    assert (health.status_code, status) == (200, 200)
    assert door.native.calls == [CONNECT, ("createIRIS", 1), SERVICE, *process_input(APPLE)]


def test_settings_come_from_the_environment_with_the_demo_defaults() -> None:
    assert NativeSettings.from_environment({}) == NativeSettings(
        hostname="iris", port=1972, namespace="IRISAPP", username="SuperUser", password="SYS"
    )
    environ = {
        "IRIS_HOST": "iris.test",
        "IRIS_PORT": "51972",
        "IRIS_NAMESPACE": "IRISAPP",
        "IRIS_USERNAME": "tester",
        "IRIS_PASSWORD": "secret",
    }
    assert NativeSettings.from_environment(environ) == TEST_IRIS


def test_the_module_app_reads_its_settings_and_connects_lazily(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IRIS_HOST", "iris.test")
    monkeypatch.setenv("IRIS_PORT", "51972")
    monkeypatch.setenv("IRIS_USERNAME", "tester")
    monkeypatch.setenv("IRIS_PASSWORD", "secret")
    loads: list[str] = []

    app = app_standalone.create_standalone_app(api_loader=lambda: loads.append("iris") or None)

    assert loads == []
    assert app.name == "kafka_demo.rest.contract"


def test_the_standalone_server_imports_without_iop() -> None:
    src = Path(__file__).resolve().parents[4] / "src" / "python"
    probe = (
        "import sys\n"
        "sys.modules['iop'] = None\n"  # any `import iop` now fails
        "import app_standalone\n"
        "loaded = [m for m, module in sys.modules.items() if module and m.split('.')[0] == 'iop']\n"
        "print(loaded, type(app_standalone.app).__name__)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=src, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] Flask"
