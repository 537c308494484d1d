"""docker-compose.yml: services, ports, pinned images, health checks, start order."""

import re

from tests.static.repo import compose, iris_dockerfile, service, text

PINNED_KAFKA = re.compile(r"^apache/kafka:4\.\d+\.\d+$")


def _ports(name: str) -> set[str]:
    return {str(port) for port in service(name).get("ports", [])}


def _dockerfile_arg_default(name: str) -> str:
    for instruction in iris_dockerfile():
        if instruction.keyword == "ARG" and instruction.args.startswith(f"{name}="):
            return instruction.args.split("=", 1)[1]
    raise AssertionError(f"Dockerfile declares no ARG {name}")


def test_compose_v2_file_has_no_version_key() -> None:
    assert "version" not in compose()


def test_all_services_of_the_stack_are_declared() -> None:
    assert set(compose()["services"]) == {"kafka", "kafka-init", "iris", "standalone"}


def test_without_iris_ports_no_door_of_iris_is_reachable_from_the_host() -> None:
    assert {"1972:1972", "53795:52773", "5000:5000"} <= _ports("iris")


def test_without_the_standalone_port_the_third_door_is_closed() -> None:
    assert "5001:5001" in _ports("standalone")


def test_without_the_host_listener_port_host_producers_cannot_reach_kafka() -> None:
    assert "29092:29092" in _ports("kafka")


def test_no_image_floats_on_latest() -> None:
    for name, spec in compose()["services"].items():
        image = spec.get("image", "")
        assert "latest" not in image, name
    assert "latest" not in text("docker-compose.yml")
    assert "latest" not in _dockerfile_arg_default("IMAGE")


def test_kafka_images_are_a_pinned_apache_kafka_4_release() -> None:
    assert PINNED_KAFKA.match(service("kafka")["image"])
    assert service("kafka-init")["image"] == service("kafka")["image"]


def test_iris_image_default_is_the_same_pinned_tag_in_compose_and_dockerfile() -> None:
    default = _dockerfile_arg_default("IMAGE")
    assert re.fullmatch(r"intersystemsdc/iris-community:\d{4}\.\d+(\.\d+)*", default)
    assert service("iris")["build"]["args"]["IMAGE"] == f"${{IRIS_IMAGE:-{default}}}"


def test_kafka_runs_single_node_kraft_without_zookeeper() -> None:
    env = service("kafka")["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "zookeeper" not in text("docker-compose.yml").lower()


def test_without_both_advertised_listeners_either_iris_or_the_host_cannot_connect() -> None:
    env = service("kafka")["environment"]
    advertised = set(env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert advertised == {"PLAINTEXT://kafka:9092", "PLAINTEXT_HOST://localhost:29092"}
    assert "PLAINTEXT_HOST://0.0.0.0:29092" in env["KAFKA_LISTENERS"]


def test_without_single_replica_internal_topics_consumer_groups_never_form() -> None:
    env = service("kafka")["environment"]
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1


def test_every_long_running_service_has_a_health_check() -> None:
    for name in ("kafka", "iris", "standalone"):
        check = service(name)["healthcheck"]
        assert check["test"] and check["interval"] and check["retries"], name


def test_iris_health_means_the_production_runs() -> None:
    check = service("iris")["healthcheck"]["test"]
    assert check[-1] == "/irisdev/app/misc/iris/production-running.sh"


def test_without_topic_init_the_topic_has_one_partition_and_one_consumer_idles() -> None:
    init = service("kafka-init")
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    script = text("misc/kafka/create-topics.sh")
    assert '--topic "$topic" --partitions "$partitions"' in script
    assert '--topic "$dlq"' in script
    assert init["environment"]["KAFKA_TOPIC_PARTITIONS"] == "${KAFKA_TOPIC_PARTITIONS:-2}"
    mounted = {volume.split(":")[0] for volume in init["volumes"]}
    assert "./misc/kafka/create-topics.sh" in mounted


def test_iris_starts_after_kafka_is_healthy_and_the_topics_exist() -> None:
    depends = service("iris")["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["kafka-init"]["condition"] == "service_completed_successfully"


def test_standalone_server_starts_after_the_production_runs() -> None:
    assert service("standalone")["depends_on"]["iris"]["condition"] == "service_healthy"


def test_production_settings_reach_the_migrate_step_as_build_args() -> None:
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


def test_standalone_credentials_come_from_the_environment_with_demo_defaults() -> None:
    env = service("standalone")["environment"]
    assert env["IRIS_HOST"] == "${IRIS_HOST:-iris}"
    assert env["IRIS_PORT"] == "${IRIS_PORT:-1972}"
    assert env["IRIS_NAMESPACE"] == "${IRIS_NAMESPACE:-IRISAPP}"
    assert env["IRIS_USERNAME"] == "${IRIS_USERNAME:-SuperUser}"
    assert env["IRIS_PASSWORD"] == "${IRIS_PASSWORD:-SYS}"
    assert service("iris")["build"]["args"]["IRIS_PASSWORD"] == "${IRIS_PASSWORD:-SYS}"


def test_env_example_names_every_variable_compose_reads() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+):-", text("docker-compose.yml")))
    example = text("misc/.env.example")
    documented = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert used <= documented
