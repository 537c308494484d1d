"""misc/deploy/iris/doctor_iris.py against SQLite holding the IRIS tables it reads
(tests/static/iris_sqlite.py)."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.static.iris_sqlite import iris_tables
from tests.static.repo import load_deploy_script

NOW = datetime(2026, 11, 28, 9, 0, 0)
PRODUCTION = "Python.Production"


doctor_iris = load_deploy_script("doctor_iris")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    with iris_tables(tmp_path, "Ens_Util.Log", "Ens_Config.Item", "SQLUser.product") as engine:
        yield engine


def _items(engine: sa.Engine, *items: tuple[str, int], production: str = PRODUCTION) -> None:
    with engine.begin() as connection:
        for name, enabled in items:
            connection.execute(
                sa.text("INSERT INTO Ens_Config.Item VALUES (:n, :e, :p)"),
                {"n": name, "e": enabled, "p": production},
            )


def _log(engine: sa.Engine, name: str, text: str, minutes_ago: float, kind: object) -> None:
    logged = (NOW - timedelta(minutes=minutes_ago)).isoformat(sep=" ", timespec="milliseconds")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO Ens_Util.Log (ConfigName, Text, TimeLogged, Type)"
                " VALUES (:n, :t, :l, :k)"
            ),
            {"n": name, "t": text, "l": logged, "k": kind},
        )


def _check(engine: sa.Engine, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = doctor_iris.check_items(engine, 10, now=NOW)
    return status, capsys.readouterr().out.splitlines()


def test_items_without_recent_errors_pass_one_line_each(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    _items(engine, ("Python.KafkaDemoBS", 1), ("EnsLib.Kafka.Service", 1))
    _items(engine, ("Other.Item", 1), production="Other.Production")
    _log(engine, "Python.KafkaDemoBS", "old failure", minutes_ago=30, kind=2)
    _log(engine, "Python.KafkaDemoBS", "a warning", minutes_ago=1, kind=3)
    status, lines = _check(engine, capsys)
    assert status == 0
    assert lines == [
        "PASS item EnsLib.Kafka.Service: enabled, no error logged in the last 10 min",
        "PASS item Python.KafkaDemoBS: enabled, no error logged in the last 10 min",
    ]


@pytest.mark.parametrize("kind", [2, "2", "Error"], ids=["number", "text-number", "display"])
def test_a_recent_error_fails_its_item_with_the_newest_text_and_a_hint(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str], kind: object
) -> None:
    _items(engine, ("EnsLib.Kafka.Service", 1), ("Python.KafkaDemoBP", 1))
    _log(engine, "EnsLib.Kafka.Service", "first\nfailure", minutes_ago=5, kind=kind)
    _log(engine, "EnsLib.Kafka.Service", "UnsupportedVersionException   from broker", 2, kind)
    status, lines = _check(engine, capsys)
    assert status == 1
    assert lines[0].startswith(
        "FAIL item EnsLib.Kafka.Service: 2 error(s) in the last 10 min,"
        " last: UnsupportedVersionException from broker -- likely cause: "
    )
    assert "KAFKA_IMAGE=apache/kafka:3.9.1" in lines[0]
    assert lines[1].startswith("PASS item Python.KafkaDemoBP")


def test_a_storage_bo_without_a_dbapi_gets_the_cause_and_fix_its_line_names(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """LocalStorageBO's start-up check (kafka_demo.storage_driver) logs one such line."""
    from kafka_demo.storage_driver import NO_DBAPI

    _items(engine, ("Python.LocalStorageBO", 1))
    line = (
        f"{NO_DBAPI} (iris+emb): NameError: Cannot call an iris.package wrapper; the `iris`"
        " module here is /usr/irissys/lib/python/iris/__init__.py -- likely cause: the IRIS"
        " kernel gives its own `iris` module, without iris-embedded-python-wrapper's dbapi;"
        " fix: install requirements.txt in one pip run into <installdir>/mgr/python"
    )
    _log(engine, "Python.LocalStorageBO", f"ERROR <Ens>ErrException: {line}", 1, 2)
    status, lines = _check(engine, capsys)
    assert status == 1
    assert lines == [
        "FAIL item Python.LocalStorageBO: 1 error(s) in the last 10 min, last: ERROR"
        f" <Ens>ErrException: {NO_DBAPI} (iris+emb): NameError: Cannot call an iris.package"
        " wrapper; the `iris` module here is /usr/irissys/lib/python/iris/__init__.py -- likely"
        " cause: the IRIS kernel gives its own `iris` module, without"
        " iris-embedded-python-wrapper's dbapi; fix: install requirements.txt in one pip run"
        " into <installdir>/mgr/python"
    ]


def test_a_disabled_item_fails(engine: sa.Engine, capsys: pytest.CaptureFixture[str]) -> None:
    _items(engine, ("Python.KafkaDemoBO", 0))
    status, lines = _check(engine, capsys)
    assert status == 1
    assert lines == ["FAIL item Python.KafkaDemoBO: disabled -- fix: enable it in the Portal"]


def test_a_production_without_items_fails_once(
    engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = _check(engine, capsys)
    assert status == 1
    (line,) = lines
    assert line.startswith("FAIL items: Python.Production has no items in IRISAPP")


def test_row_is_found_only_for_the_name_stored(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO SQLUser.product VALUES ('doctor-a', 1)")
    monkeypatch.setenv("DOCTOR_ROW_SECONDS", "0")
    assert doctor_iris.main(["row", "doctor-a"], engine=engine) == 0
    assert doctor_iris.main(["row", "doctor-b"], engine=engine) == 1


def test_an_sql_failure_is_one_fail_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert doctor_iris.main(["items"], engine=empty) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("FAIL IRIS SQL: ")
    assert "fix: docker compose ps iris" in line


def test_bad_arguments_print_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor_iris.main(["row"]) == 2
    assert "doctor_iris.py items" in capsys.readouterr().err


def test_the_sql_url_is_iris_with_the_containers_login_quoted() -> None:
    url = doctor_iris.sql_url({"IRISUSERNAME": "SuperUser", "IRISPASSWORD": "p@ss/w:rd"})
    assert url == "iris://SuperUser:p%40ss%2Fw%3Ard@localhost:1972/IRISAPP"
    assert sa.engine.make_url(url).password == "p@ss/w:rd"
    assert doctor_iris.sql_url({"DOCTOR_SQL_URL": "sqlite://"}) == "sqlite://"
