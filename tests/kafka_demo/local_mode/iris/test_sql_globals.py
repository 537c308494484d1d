"""Globals kept in SQL (the local stand-in's IRIS database): $DATA, get and set as IRIS
answers them, and the nodes still there when the database is opened again."""

from pathlib import Path

from kafka_demo.kafka_io.offsets import OFFSET_GLOBAL, GlobalOffsetStore
from kafka_demo.local_mode.database import open_database
from kafka_demo.local_mode.iris.iris_standin import GlobalRef, SqlGlobals

LOG = "cluster/kafka_demo/6f1b2c3d-0000-4000-8000-000000000001"


def _global(path: Path, name: str = OFFSET_GLOBAL) -> GlobalRef:
    return GlobalRef(SqlGlobals(open_database(f"sqlite:///{path}")), name)


def test_data_tells_a_value_from_the_nodes_below_it(tmp_path: Path) -> None:
    glob = _global(tmp_path / "globals.db")
    glob.set([LOG, 0], 12)

    assert glob.data([LOG, 0]) == 1
    assert glob.data([LOG]) == 10
    assert glob.data([LOG, 1]) == 0
    glob.set([LOG], "top")
    assert glob.data([LOG]) == 11
    assert glob.get([LOG, 0]) == 12
    assert glob.get([LOG, 1]) is None


def test_another_global_of_the_same_subscripts_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "globals.db"
    _global(path, "^Other").set([LOG, 0], 99)

    glob = _global(path)
    assert glob.get([LOG, 0]) is None
    assert glob.data([LOG]) == 0


def test_offsets_are_read_back_after_the_database_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "globals.db"
    GlobalOffsetStore(_global(path)).handed_over(LOG, 0, 41)

    reopened = GlobalOffsetStore(_global(path))
    assert reopened.next_offset(LOG, 0) == 42
    assert reopened.next_offset(LOG, 1) is None
    reopened.handed_over(LOG, 0, 99)
    assert GlobalOffsetStore(_global(path)).next_offset(LOG, 0) == 100
