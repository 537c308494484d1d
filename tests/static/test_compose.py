"""docker-compose.yml: services, ports, pinned images, health checks, start order."""

import re

from tests.static.repo import compose, iris_dockerfile, service, text

KAFKA_IMAGE = "${KAFKA_IMAGE:-apache/kafka:4.1.1}"


def _ports(name: str) -> set[str]:
    return {str(port) for port in service(name).get("ports", [])}


def _dockerfile_arg_default(name: str) -> str:
    for instruction in iris_dockerfile():
        if instruction.keyword == "ARG" and instruction.args.startswith(f"{name}="):
            return instruction.args.split("=", 1)[1]
    raise AssertionError(f"Dockerfile declares no ARG {name}")


def test_compose_file_has_no_version_key() -> None:
    assert "version" not in compose()


def test_compose_declares_the_four_services() -> None:
    assert set(compose()["services"]) == {"kafka", "kafka-init", "iris", "standalone"}


def test_iris_publishes_superserver_web_and_gunicorn_ports() -> None:
    assert {"1972:1972", "53795:52773", "5000:5000"} <= _ports("iris")


def test_standalone_publishes_port_5001() -> None:
    assert "5001:5001" in _ports("standalone")


def test_kafka_publishes_the_host_listener_port() -> None:
    assert "29092:29092" in _ports("kafka")


def test_no_image_reference_says_latest() -> None:
    for name, spec in compose()["services"].items():
        image = spec.get("image", "")
        assert "latest" not in image, name
    assert "latest" not in text("docker-compose.yml")
    assert "latest" not in _dockerfile_arg_default("IMAGE")


def test_both_kafka_services_use_kafka_image_defaulting_to_apache_kafka_4_1_1() -> None:
    assert service("kafka")["image"] == KAFKA_IMAGE
    assert service("kafka-init")["image"] == KAFKA_IMAGE


def test_iris_image_default_is_the_same_official_tag_in_compose_and_dockerfile() -> None:
    default = _dockerfile_arg_default("IMAGE")
    assert default == "containers.intersystems.com/intersystems/iris-community:2026.1"
    assert service("iris")["build"]["args"]["IMAGE"] == f"${{IRIS_IMAGE:-{default}}}"


def test_env_example_sets_iris_image_to_the_dockerfile_default() -> None:
    default = _dockerfile_arg_default("IMAGE")
    assert f"\nIRIS_IMAGE={default}\n" in text("misc/deploy/.env.example")


def test_iris_runs_under_an_init_with_a_grace_period_beyond_iris_shutdown_timeout() -> None:
    iris = service("iris")
    assert iris["init"] is True
    seconds = int(str(iris["stop_grace_period"]).removesuffix("s"))
    # IRIS's default ShutdownTimeout (300 s) plus gunicorn's graceful_timeout (20 s).
    assert seconds >= 300 + 20


def test_kafka_environment_is_single_node_kraft_without_zookeeper() -> None:
    env = service("kafka")["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "zookeeper" not in text("docker-compose.yml").lower()


def test_kafka_advertises_the_network_and_the_host_listeners() -> None:
    env = service("kafka")["environment"]
    advertised = set(env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert advertised == {"PLAINTEXT://kafka:9092", "PLAINTEXT_HOST://localhost:29092"}
    assert "PLAINTEXT_HOST://0.0.0.0:29092" in env["KAFKA_LISTENERS"]


def test_kafka_offsets_topic_has_one_replica() -> None:
    env = service("kafka")["environment"]
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1


def test_every_long_running_service_declares_a_health_check() -> None:
    for name in ("kafka", "iris", "standalone"):
        check = service(name)["healthcheck"]
        assert check["test"] and check["interval"] and check["retries"], name


def test_iris_health_check_runs_the_production_check_script() -> None:
    check = service("iris")["healthcheck"]["test"]
    assert check[-1] == "/irisdev/app/misc/deploy/iris/production-running.sh"


def test_kafka_init_mounts_the_topic_script_with_two_partitions_by_default() -> None:
    init = service("kafka-init")
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    script = text("misc/deploy/kafka/create-topics.sh")
    assert '--topic "$topic" --partitions "$partitions"' in script
    assert '--topic "$dlq"' in script
    assert init["environment"]["KAFKA_TOPIC_PARTITIONS"] == "${KAFKA_TOPIC_PARTITIONS:-2}"
    mounted = {volume.split(":")[0] for volume in init["volumes"]}
    assert "./misc/deploy/kafka/create-topics.sh" in mounted


def test_iris_depends_on_healthy_kafka_and_completed_topic_init() -> None:
    depends = service("iris")["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["kafka-init"]["condition"] == "service_completed_successfully"


def test_standalone_depends_on_healthy_iris() -> None:
    assert service("standalone")["depends_on"]["iris"]["condition"] == "service_healthy"


def test_production_settings_are_build_args_with_the_dockerfile_defaults() -> None:
    args = service("iris")["build"]["args"]
    expected = {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
        "KAFKA_TOPIC": "kafka_demo",
        "KAFKA_DLQ_TOPIC": "kafka_demo.dlq",
        "KAFKA_GROUP_ID": "demo-group",
        "STORAGE_CONNECTION_STRING": "iris+emb:///IRISAPP",
    }
    for name, default in expected.items():
        assert args[name] == f"${{{name}:-{default}}}"
        assert _dockerfile_arg_default(name) == default


def test_standalone_credentials_are_environment_variables_with_demo_defaults() -> None:
    env = service("standalone")["environment"]
    assert env["IRIS_HOST"] == "${IRIS_HOST:-iris}"
    assert env["IRIS_PORT"] == "${IRIS_PORT:-1972}"
    assert env["IRIS_NAMESPACE"] == "${IRIS_NAMESPACE:-IRISAPP}"
    assert env["IRIS_USERNAME"] == "${IRIS_USERNAME:-SuperUser}"
    assert env["IRIS_PASSWORD"] == "${IRIS_PASSWORD:-SYS}"
    assert service("iris")["build"]["args"]["IRIS_PASSWORD"] == "${IRIS_PASSWORD:-SYS}"


def test_env_example_lists_every_variable_compose_reads() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+):-", text("docker-compose.yml")))
    example = text("misc/deploy/.env.example")
    documented = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert used <= documented
