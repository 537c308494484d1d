"""docker-compose.yml agrees with what the services inside it expect: the Dockerfile's and the
production's defaults, the ports the docs and the live suite reach, the listeners Kafka
advertises, the start order of services that talk to each other, the tests' Kafka version."""

import re
from xml.etree import ElementTree

import pytest
from gunicorn.app.wsgiapp import WSGIApplication

from kafka_demo import defaults
from tests.e2e import stack
from tests.static.repo import ROOT, compose, iris_dockerfile, service, text

IRIS_SHUTDOWN_TIMEOUT_S = 300
"""IRIS's default CPF [Startup] ShutdownTimeout."""


def _published(name: str) -> dict[int, int]:
    """The service's published ports: host port -> container port."""
    ports = {}
    for mapping in service(name).get("ports", []):
        host, _, container = str(mapping).partition(":")
        ports[int(host)] = int(container)
    return ports


def _default(value: object) -> str:
    """The default of a `${NAME:-default}` value."""
    match = re.fullmatch(r"\$\{(\w+):-(.*)\}", str(value))
    assert match, value
    return match.group(2)


def _dockerfile_arg_default(name: str) -> str:
    for instruction in iris_dockerfile():
        if instruction.keyword == "ARG" and instruction.args.startswith(f"{name}="):
            return instruction.args.split("=", 1)[1]
    raise AssertionError(f"Dockerfile declares no ARG {name}")


def test_compose_file_has_no_version_key() -> None:
    """Compose v2 warns that the key is obsolete, on every command."""
    assert "version" not in compose()


def test_no_image_reference_says_latest() -> None:
    for name, spec in compose()["services"].items():
        image = spec.get("image", "")
        assert "latest" not in image, name
    assert "latest" not in text("docker-compose.yml")
    assert "latest" not in _dockerfile_arg_default("IMAGE")


def test_every_port_the_live_suite_reaches_is_published() -> None:
    published = {port for name in compose()["services"] for port in _published(name)}
    assert set(stack.PORTS.values()) <= published


def test_the_iris_image_default_is_the_same_in_compose_the_dockerfile_and_the_env_example() -> None:
    default = _dockerfile_arg_default("IMAGE")
    assert service("iris")["build"]["args"]["IMAGE"] == f"${{IRIS_IMAGE:-{default}}}"
    assert f"\nIRIS_IMAGE={default}\n" in text("misc/deploy/.env.example")


def test_iris_runs_under_an_init_with_a_grace_period_beyond_iris_shutdown_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """IRIS's own shutdown after gunicorn's graceful_timeout: the entrypoint stops gunicorn
    first, then iris-main (docs/iris-evidence.md#iris-main)."""
    iris = service("iris")
    assert iris["init"] is True
    seconds = int(str(iris["stop_grace_period"]).removesuffix("s"))
    for name in ("GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    config = str(ROOT / "misc/deploy/gunicorn/gunicorn.conf.py")
    monkeypatch.setattr("sys.argv", ["gunicorn", "-c", config, "app:app"])
    graceful = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg.graceful_timeout
    assert seconds >= IRIS_SHUTDOWN_TIMEOUT_S + graceful


def test_kafka_advertises_the_production_bootstrap_and_a_published_host_listener() -> None:
    env = service("kafka")["environment"]
    advertised = dict(
        listener.split("://") for listener in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    )
    bootstrap = _default(service("iris")["build"]["args"]["KAFKA_BOOTSTRAP_SERVERS"])
    assert advertised["PLAINTEXT"] == bootstrap == defaults.KAFKA_BROKER
    host_port = int(advertised["PLAINTEXT_HOST"].rpartition(":")[2])
    assert _published("kafka")[host_port] == host_port
    assert f"PLAINTEXT_HOST://0.0.0.0:{host_port}" in env["KAFKA_LISTENERS"].split(",")


def test_no_replication_setting_asks_for_more_brokers_than_the_one_node() -> None:
    """Kafka cannot create its internal topics above the number of brokers: the consumer
    group would never get a coordinator."""
    env = service("kafka")["environment"]
    nodes = len(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
    settings = {k: v for k, v in env.items() if k.endswith(("_REPLICATION_FACTOR", "_MIN_ISR"))}
    assert "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR" in settings
    assert {name: int(value) for name, value in settings.items() if int(value) > nodes} == {}


def test_a_service_waits_for_the_health_of_the_services_it_connects_to() -> None:
    iris, standalone = service("iris"), service("standalone")
    bootstrap = _default(iris["build"]["args"]["KAFKA_BOOTSTRAP_SERVERS"])
    assert iris["depends_on"][bootstrap.partition(":")[0]]["condition"] == "service_healthy"
    assert iris["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
    iris_host = _default(standalone["environment"]["IRIS_HOST"])
    assert standalone["depends_on"][iris_host]["condition"] == "service_healthy"
    assert int(_default(standalone["environment"]["IRIS_PORT"])) in _published("iris").values()


def test_every_service_waited_on_for_its_health_declares_a_health_check() -> None:
    services = compose()["services"]
    waited_on = {
        name
        for spec in services.values()
        for name, condition in spec.get("depends_on", {}).items()
        if condition["condition"] == "service_healthy"
    }
    assert waited_on == {"kafka", "iris"}
    for name in waited_on:
        check = services[name]["healthcheck"]
        assert check["test"] and check["interval"] and check["retries"], name


def test_kafka_runs_the_version_the_tests_run() -> None:
    pom = ElementTree.parse(ROOT / "misc/scripts/apache-kafka/pom.xml")
    (version,) = [e.text for e in pom.iter() if e.tag.endswith("kafka.version")]
    image = f"${{KAFKA_IMAGE:-apache/kafka:{version}}}"
    assert service("kafka")["image"] == service("kafka-init")["image"] == image


def test_the_production_settings_are_build_args_with_the_dockerfile_and_production_defaults() -> (
    None
):
    expected = {
        "KAFKA_BOOTSTRAP_SERVERS": defaults.KAFKA_BROKER,
        "KAFKA_TOPIC": defaults.TOPIC,
        "KAFKA_DLQ_TOPIC": defaults.DLQ_TOPIC,
        "KAFKA_GROUP_ID": defaults.GROUP_ID,
        "STORAGE_CONNECTION_STRING": defaults.CONNECTION_STRING,
    }
    args = service("iris")["build"]["args"]
    for name, default in expected.items():
        assert args[name] == f"${{{name}:-{default}}}"
        assert _dockerfile_arg_default(name) == default


def test_kafka_init_runs_the_mounted_topic_script_for_the_topics_the_production_reads() -> None:
    init = service("kafka-init")
    mounted = (volume.split(":")[:2] for volume in init["volumes"])
    mounts = {inside: outside for outside, inside in mounted}
    script = init["entrypoint"][-1]
    assert (ROOT / mounts[script]).is_file(), mounts
    env = init["environment"]
    assert _default(env["KAFKA_TOPIC"]) == defaults.TOPIC
    assert _default(env["KAFKA_DLQ_TOPIC"]) == defaults.DLQ_TOPIC


def test_standalone_logs_in_with_the_password_the_iris_image_is_built_with() -> None:
    password = service("standalone")["environment"]["IRIS_PASSWORD"]
    assert password == service("iris")["build"]["args"]["IRIS_PASSWORD"] == "${IRIS_PASSWORD:-SYS}"


def test_env_example_lists_every_variable_compose_reads() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+):-", text("docker-compose.yml")))
    example = text("misc/deploy/.env.example")
    documented = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert used <= documented
