"""apache_kafka.py: one Apache Kafka node on the JVM, formatted on its first start and started
on the same log afterwards, its warnings in server.log beside its data; what is missing to run
it said in one line; a node of a quorum takes the cluster id and node id it is given."""

import base64
import re
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from kafka_demo.local_mode.broker.apache_kafka import (
    FETCH_COMMAND,
    KafkaNotInstalled,
    LocalKafka,
    Quorum,
    log_directory_beside,
    missing_for_kafka,
    new_cluster_id,
)
from kafka_demo.local_mode.broker.ports import PortInUse, accepts, free_port
from kafka_demo.local_mode.broker.tansu import create_topics
from tests.support.brokers import require_apache_kafka
from tests.support.kafka import produce, read_topic

CLUSTER_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}")
LOG_LINE = re.compile(r"\[[0-9-]+ [0-9:,]+\] (WARN|ERROR) ")


def meta_properties(node: LocalKafka) -> dict[str, str]:
    lines = (node.data_directory / "meta.properties").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_without_java_it_says_java_17_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    assert missing_for_kafka(tmp_path) == "Apache Kafka needs Java 17 or later (java on PATH)"


def test_without_the_jars_it_names_their_folder_and_how_to_fetch_them(tmp_path: Path) -> None:
    require_apache_kafka()  # java on PATH
    jars = tmp_path / "no-jars"

    assert missing_for_kafka(jars) == (
        f"Apache Kafka's jars are not in {jars}: copy them there once with {FETCH_COMMAND}"
        " (from the repository root; needs Maven), or name their folder with"
        " KAFKA_DEMO_KAFKA_JARS"
    )


def test_a_start_without_the_jars_is_refused_before_it_writes_anything(tmp_path: Path) -> None:
    jars = tmp_path / "no-jars"
    node = LocalKafka(tmp_path / "kafka", free_port(), jars=jars)

    with pytest.raises(KafkaNotInstalled) as missing:
        node.start()

    assert str(missing.value) == missing_for_kafka(jars)
    assert not node.directory.exists()
    assert node.pid is None


def test_a_taken_port_is_refused_before_it_writes_anything(tmp_path: Path) -> None:
    require_apache_kafka()
    with LocalKafka(tmp_path / "first", free_port()) as first:
        second = LocalKafka(tmp_path / "second", first.port)

        with pytest.raises(PortInUse) as taken:
            second.start()

        assert taken.value.port == first.port
        assert not second.directory.exists()


def test_the_log_lives_beside_the_database_file_or_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert log_directory_beside(Path("/data/kafka_demo.db")) == Path("/data/kafka_demo.db.kafka")
    assert log_directory_beside(None) == tmp_path / "kafka_demo.kafka"


def test_a_new_cluster_id_is_sixteen_random_bytes_as_kafka_writes_them() -> None:
    ids = [new_cluster_id() for _ in range(500)]

    assert len(set(ids)) == len(ids)
    assert all(CLUSTER_ID.fullmatch(text) for text in ids)
    assert all(len(base64.urlsafe_b64decode(text + "==")) == 16 for text in ids)


def test_a_node_formats_its_log_once_keeps_records_across_a_restart_and_logs_only_warnings(
    tmp_path: Path,
) -> None:
    require_apache_kafka()
    node = LocalKafka(tmp_path / "kafka", free_port())
    with node:
        assert accepts(node.host, node.port)
        node.wait_for_group_coordinator("new-group")
        admin = KafkaAdminClient(bootstrap_servers=node.bootstrap)
        try:
            group = admin.describe_groups(["new-group"])["new-group"]
        finally:
            admin.close()
        create_topics(node.bootstrap, {"kept": 1})
        produce(node.bootstrap, "kept", [b"before the restart"])
    first_meta = meta_properties(node)
    assert not accepts(node.host, node.port)

    with node:
        kept = read_topic(node.bootstrap, "kept", expected=1, timeout=30)

    assert [record.value for record in kept] == [b"before the restart"]
    assert meta_properties(node) == first_meta
    assert first_meta["node.id"] == "1"
    assert CLUSTER_ID.fullmatch(first_meta["cluster.id"])
    assert group["error"] is None or "GroupIdNotFoundError" in group["error"]
    assert (node.directory / "stdout.log").read_text() == ""
    log = node.log_path.read_text().splitlines()
    assert [line for line in log if line[:1] == "[" and not LOG_LINE.match(line)] == []


def test_a_node_that_exits_at_start_says_why_from_its_log(tmp_path: Path) -> None:
    """A log directory written by another node (node id 7): Kafka refuses to start on it."""
    require_apache_kafka()
    node = LocalKafka(tmp_path / "kafka", free_port())
    node.data_directory.mkdir(parents=True)
    (node.data_directory / "meta.properties").write_text(
        "version=1\nnode.id=7\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n"
        "directory.id=AAAAAAAAAAAAAAAAAAAAAA\n"
    )

    with pytest.raises(RuntimeError) as failed:
        node.start()

    message = str(failed.value)
    assert message.startswith("Apache Kafka exited at start with code 1: ")
    assert "Stored node id 7 doesn't match previous node id 1" in message
    assert "\tat " not in message
    assert node.pid is None


def test_a_node_of_a_quorum_takes_the_cluster_id_and_node_id_it_is_given(tmp_path: Path) -> None:
    require_apache_kafka()
    cluster_id = new_cluster_id()
    quorum = Quorum(cluster_id, {5: free_port()})

    with LocalKafka(tmp_path / "node-5", free_port(), node_id=5, quorum=quorum) as node:
        admin = KafkaAdminClient(bootstrap_servers=node.bootstrap)
        try:
            described = admin.describe_cluster()
        finally:
            admin.close()

    assert described["cluster_id"] == cluster_id
    assert [broker["broker_id"] for broker in described["brokers"]] == [5]
    assert meta_properties(node)["node.id"] == "5"
