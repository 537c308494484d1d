"""misc/deploy/iris/route_store.py, the SQL of the build's three-route store, against SQLite
holding the IRIS tables it reads (attached databases give them their schema names)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.static.iris_sqlite import iris_tables
from tests.static.repo import load_deploy_script

NAMES = ["image build, sql route", "image build, iris route", "image build, sqlalchemy route"]

route_store = load_deploy_script("route_store")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    with iris_tables(tmp_path, "Ens_Util.Log", "SQLUser.product") as engine:
        yield engine


def _log(engine: sa.Engine, name: str, text: str, kind: object) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO Ens_Util.Log (ConfigName, Text, Type) VALUES (:n, :t, :k)"),
            {"n": name, "t": text, "k": kind},
        )


def _products(engine: sa.Engine, *names: str) -> None:
    with engine.begin() as connection:
        for name in names:
            connection.execute(
                sa.text("INSERT INTO SQLUser.product VALUES (:n, 0.01)"), {"n": name}
            )


def _rows(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(sa.text("SELECT name FROM SQLUser.product"))]


def _main(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, list[str]]:
    status = route_store.main(list(argv), engine)
    return status, capsys.readouterr().out.splitlines()


def test_mark_is_the_newest_log_id(engine: sa.Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(engine, capsys, "mark") == (0, ["0"])
    _log(engine, "Python.KafkaDemoBS", "started", 4)
    _log(engine, "Python.LocalStorageBO", "started", 4)
    assert _main(engine, capsys, "mark") == (0, ["2"])


def test_logged_error_is_the_storage_items_newest_error_after_the_mark(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    _log(engine, "Python.LocalStorageBO", "an error before the build's mark", 2)
    _log(engine, "Python.LocalStorageBO", "ERROR #7201:   value\n  too long", 2)
    _log(engine, "EnsLib.Kafka.Service", "no broker", 2)
    _log(engine, "Python.LocalStorageBO", "stored", 4)
    assert _main(engine, capsys, "logged-error", "1") == (0, ["ERROR #7201: value too long"])
    assert _main(engine, capsys, "logged-error", "2") == (0, [""])


def test_logged_error_accepts_the_type_by_name(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """doctor_iris.py: xDBC may give Type as its number or its display name."""
    _log(engine, "Python.LocalStorageBO", "no DB-API for the storage URL (iris+emb): x", "Error")
    assert _main(engine, capsys, "logged-error", "0") == (
        0,
        ["no DB-API for the storage URL (iris+emb): x"],
    )


def test_read_back_finds_one_row_per_route_and_deletes_them(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    _products(engine, "a product of the demo", *NAMES)
    status, lines = _main(engine, capsys, "read-back", *NAMES)
    assert status == 0
    assert lines == [f"route-store: {name!r}: read back by SQL and deleted" for name in NAMES]
    assert _rows(engine) == ["a product of the demo"]


@pytest.mark.parametrize("copies", [0, 2])
def test_a_route_without_exactly_one_row_fails_and_deletes_nothing(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str], copies: int
) -> None:
    _products(engine, NAMES[0], *[NAMES[1]] * copies, NAMES[2])
    status, lines = _main(engine, capsys, "read-back", *NAMES)
    assert status == 1
    assert lines == [
        f"route-store-error: read-back: RouteStoreFailed: {NAMES[1]!r}: {copies} row(s) in"
        " SQLUser.product, not 1"
    ]
    assert sorted(_rows(engine)) == sorted([NAMES[0], *[NAMES[1]] * copies, NAMES[2]])


def test_a_database_error_is_one_line(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE SQLUser.product")
    status, lines = _main(engine, capsys, "read-back", *NAMES)
    assert status == 1
    (line,) = lines
    assert line.startswith("route-store-error: read-back: OperationalError: ")
    assert "no such table" in line


def test_a_bad_command_prints_the_usage(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert route_store.main(["read-back"], engine) == 2
    assert "route_store.py mark" in capsys.readouterr().err
