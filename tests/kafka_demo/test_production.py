"""The production graph that settings.py hands to `iop --migrate`."""

import subprocess
import sys
from pathlib import Path

from iop import BusinessOperation, BusinessProcess, BusinessService

import settings
from kafka_demo.defaults import Environment
from kafka_demo.production import build_production

ROOT = Path(__file__).resolve().parents[2]
IRIS_CLASSES = {"EnsLib.Kafka.Service"}


def items_by_name(production: object) -> dict[str, dict]:
    (definition,) = production.to_dict().values()
    return {item["@Name"]: item for item in definition["Item"]}


def host_settings(item: dict) -> dict[str, str]:
    return {s["@Name"]: s["#text"] for s in item.get("Setting", []) if s["@Target"] == "Host"}


def adapter_settings(item: dict) -> dict[str, str]:
    return {s["@Name"]: s["#text"] for s in item.get("Setting", []) if s["@Target"] == "Adapter"}


def test_the_production_has_every_item_of_the_design() -> None:
    (production,) = settings.PRODUCTIONS
    assert production.name == "Python.Production"
    assert {ref.name: (ref.class_name, ref.kind) for ref in production.items} == {
        "Python.KafkaDemoBS": ("Python.KafkaDemoBS", "service"),
        "EnsLib.Kafka.Service": ("EnsLib.Kafka.Service", "service"),
        "Python.KafkaRestBS": ("Python.KafkaRestBS", "service"),
        "Python.KafkaDemoBP": ("Python.KafkaDemoBP", "process"),
        "Python.LocalStorageBO": ("Python.LocalStorageBO", "operation"),
        "Python.KafkaDemoBO": ("Python.KafkaDemoBO", "operation"),
    }


def test_every_item_class_is_a_registered_component_or_a_known_iris_class() -> None:
    kinds = {"service": BusinessService, "process": BusinessProcess, "operation": BusinessOperation}
    for ref in settings.PRODUCTIONS[0].items:
        if ref.component_class is None:
            assert ref.class_name in IRIS_CLASSES
        else:
            assert issubclass(ref.component_class, kinds[ref.kind]), ref.name


def test_every_target_names_an_item_of_the_production() -> None:
    production = settings.PRODUCTIONS[0]
    names = {ref.name for ref in production.items}
    targets = {
        (ref.name, setting): value
        for ref in production.items
        for setting, value in ref.host_settings.items()
        if setting in ref.target_setting_names or setting == "TargetConfigNames"
    }
    assert targets == {
        ("Python.KafkaDemoBS", "Output"): "Python.KafkaDemoBP",
        ("Python.KafkaRestBS", "Output"): "Python.KafkaDemoBP",
        ("EnsLib.Kafka.Service", "TargetConfigNames"): "Python.KafkaDemoBP",
        ("Python.KafkaDemoBP", "Storage"): "Python.LocalStorageBO",
        ("Python.KafkaDemoBP", "DeadLetter"): "Python.KafkaDemoBO",
    }
    assert set(targets.values()) <= names


def test_every_connection_a_component_reports_to_the_portal_names_an_item() -> None:
    """on_get_connections() (targets, literal send_request_* targets) draws the Portal graph."""
    production = settings.PRODUCTIONS[0]
    names = {ref.name for ref in production.items}
    for ref in production.items:
        if ref.component_class is not None:
            connections = ref.component_class.__new__(ref.component_class).on_get_connections()
            assert set(connections or []) <= names, (ref.name, connections)


def test_both_kafka_consumers_share_topic_and_group_and_the_rest_service_is_created_on_demand() -> (
    None
):
    items = items_by_name(build_production(Environment()))
    assert host_settings(items["Python.KafkaDemoBS"]) == {
        "kafka_broker": "kafka:9092",
        "topic": "kafka_demo",
        "group_id": "demo-group",
        "Output": "Python.KafkaDemoBP",
    }
    assert adapter_settings(items["Python.KafkaDemoBS"]) == {"CallInterval": "1"}
    assert adapter_settings(items["EnsLib.Kafka.Service"]) == {
        "Servers": "kafka:9092",
        "Topic": "kafka_demo",
        "GroupID": "demo-group",
    }
    assert items["Python.KafkaRestBS"]["@PoolSize"] == "0"
    assert host_settings(items["Python.LocalStorageBO"]) == {
        "connection_string": "iris+emb:///IRISAPP"
    }
    assert host_settings(items["Python.KafkaDemoBO"]) == {
        "kafka_broker": "kafka:9092",
        "topic": "kafka_demo",
        "dlq_topic": "kafka_demo.dlq",
    }


def test_hosts_topics_group_and_database_come_from_the_environment() -> None:
    env = Environment.read(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "broker-1:9093,broker-2:9093",
            "KAFKA_TOPIC": "products",
            "KAFKA_DLQ_TOPIC": "products.dlq",
            "KAFKA_GROUP_ID": "shop",
            "STORAGE_CONNECTION_STRING": "iris+emb:///SHOP",
        }
    )
    items = items_by_name(build_production(env))
    assert (
        host_settings(items["Python.KafkaDemoBS"])["kafka_broker"] == "broker-1:9093,broker-2:9093"
    )
    assert host_settings(items["Python.KafkaDemoBS"])["group_id"] == "shop"
    assert adapter_settings(items["EnsLib.Kafka.Service"])["GroupID"] == "shop"
    assert adapter_settings(items["EnsLib.Kafka.Service"])["Topic"] == "products"
    assert host_settings(items["Python.KafkaDemoBO"])["dlq_topic"] == "products.dlq"
    assert host_settings(items["Python.LocalStorageBO"])["connection_string"] == "iris+emb:///SHOP"


def test_the_production_validates_strictly() -> None:
    settings.PRODUCTIONS[0].validate(strict=True)


def test_iop_migrate_dry_run_with_strict_validation_exits_0() -> None:
    iop = Path(sys.executable).with_name("iop")
    completed = subprocess.run(
        [
            str(iop),
            "--migrate",
            "src/python/settings.py",
            "--dry-run",
            "--strict-production-validation",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Python.Production" in completed.stdout
    assert "VALIDATION:\n  none" in completed.stdout


def test_the_item_names_and_defaults_import_without_iop() -> None:
    """The standalone image has no IoP and reads them too."""
    probe = (
        "import sys\n"
        "sys.modules['iop'] = None\n"  # any `import iop` now fails
        "from kafka_demo import defaults\n"
        "env = defaults.Environment.read({'KAFKA_TOPIC': 'products'})\n"
        "print(defaults.PRODUCTION_NAME, defaults.KAFKA_REST_BS, env.topic, env.kafka_broker)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT / "src" / "python",
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "Python.Production",
        "Python.KafkaRestBS",
        "products",
        "kafka:9092",
    ]
