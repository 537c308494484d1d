"""Outside IRIS, the iris wrapper answers with silent mocks: the project must refuse them."""

from unittest.mock import MagicMock

import pytest
from iop.runtime import iris as iop_iris
from sqlalchemy import create_engine

from kafka_demo import iris_gateway, storage
from kafka_demo.kafka_io.offsets import GlobalOffsetStore
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.product import Product


def test_the_real_wrapper_outside_iris_is_refused_not_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.undo()  # the real `iris` wrapper, as a process outside IRIS has it
    wrapper = iop_iris.get_iris()
    assert isinstance(wrapper.cls("User.product"), MagicMock)  # what the wrapper really does
    with pytest.raises(iris_gateway.IrisUnavailable, match="not running inside IRIS"):
        storage.insert_with_iris_orm(create_engine("sqlite://"), Product("a", 1))
    with pytest.raises(iris_gateway.IrisUnavailable, match=r"\^KafkaDemo.Offset"):
        GlobalOffsetStore.open()


def test_a_mock_anywhere_behind_the_seam_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iop_iris, "get_iris", lambda namespace=None: MagicMock())
    with pytest.raises(iris_gateway.IrisUnavailable):
        iris_gateway.iris_class("IOP.Director")
    with pytest.raises(iris_gateway.IrisUnavailable):
        iris_gateway.check_status(1, "a save")


def test_the_standin_refuses_classes_only_iris_has(iris: IrisStandIn) -> None:
    with pytest.raises(iris_gateway.IrisUnavailable, match="Ens.Director exists only in IRIS"):
        iris_gateway.iris_class("Ens.Director")


def test_offsets_are_kept_per_topic_and_partition_in_the_global(iris: IrisStandIn) -> None:
    store = GlobalOffsetStore.open()
    assert store.next_offset("kafka_demo", 0) is None
    store.handed_over("kafka_demo", 0, 41)
    store.handed_over("kafka_demo", 1, 6)
    assert (store.next_offset("kafka_demo", 0), store.next_offset("kafka_demo", 1)) == (42, 7)
    assert iris.gref("^KafkaDemo.Offset").get(["kafka_demo", 0]) == 42
