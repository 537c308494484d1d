"""misc/deploy/iris/probe.py, the build's embedded-Python probe: what it covers and what it reports.

Run here in this Python, with SQLite for the storage URL and the User.product
stand-in at the one IRIS seam; in the image build it runs in irispython against
IRIS (misc/deploy/iris/build.sh, tested in test_build_script.py).
"""

import importlib.metadata
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from sqlalchemy import create_engine, inspect, text

from kafka_demo.defaults import CONNECTION_STRING
from kafka_demo.local_mode.iris.iris_standin import IrisStandIn
from kafka_demo.local_mode.iris.persistent import PersistentClass
from kafka_demo.models import IRIS_PRODUCT_CLASS, PRODUCT_TABLE
from tests.static.repo import IRIS_DEPLOY, SRC_PYTHON, load_deploy_script, web_application
from tests.static.test_wsgi_imports import _closure
from tests.support.iris_fakes import ProductClass

PROBE = IRIS_DEPLOY / "probe.py"


def _probe() -> ModuleType:
    return load_deploy_script("probe")


@pytest.fixture(autouse=True)
def _forget_entry_modules() -> Iterator[None]:
    """The probe imports settings.py and app.py by their top-level names; drop them after."""
    before = {name for name in ("settings", "app") if name in sys.modules}
    yield
    for name in {"settings", "app"} - before:
        sys.modules.pop(name, None)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "products.db"
    monkeypatch.setenv("STORAGE_CONNECTION_STRING", f"sqlite:///{path}")
    return path


@pytest.fixture
def user_product(iris: IrisStandIn, database: Path) -> PersistentClass:
    engine = create_engine(f"sqlite:///{database}")
    standin = PersistentClass(engine, PRODUCT_TABLE, IRIS_PRODUCT_CLASS)
    iris.add_class(IRIS_PRODUCT_CLASS, standin)
    return standin


def _run(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = _probe().run(SRC_PYTHON)
    return status, capsys.readouterr().out.splitlines()


def test_the_entry_modules_are_the_production_settings_and_the_wsgi_app_iris_serves() -> None:
    entry = _probe().ENTRY_MODULES
    assert entry == ("settings", web_application("/flask")["WSGIAppName"])
    assert all((SRC_PYTHON / f"{name}.py").is_file() for name in entry)


def test_the_probe_imports_every_module_the_production_and_the_app_import() -> None:
    wanted = set()
    for entry in ("settings.py", "app.py"):
        files, _ = _closure(entry)
        wanted |= {_module_name(f) for f in files if f.parent != SRC_PYTHON}
    assert {"kafka_demo.storage", "kafka_demo.rest.iris.app"} <= wanted
    script = (
        "import importlib.util, sys, pathlib;"
        f"sys.path.insert(0, {str(IRIS_DEPLOY)!r});"
        f"spec = importlib.util.spec_from_file_location('p', {str(PROBE)!r});"
        "p = importlib.util.module_from_spec(spec); spec.loader.exec_module(p);"
        f"print(' '.join(p.import_entry_modules(pathlib.Path({str(SRC_PYTHON)!r}))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    imported = set(result.stdout.split())
    assert wanted <= imported, sorted(wanted - imported)
    # Every item of the production runs a class of these modules.
    for module in ("kafka_demo.bs", "kafka_demo.bp", "kafka_demo.bo", "kafka_demo.msg"):
        assert module in imported


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(SRC_PYTHON).with_suffix("").parts).removesuffix(".__init__")


def test_the_probe_uses_the_production_storage_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORAGE_CONNECTION_STRING", raising=False)
    assert _probe().storage_url() == CONNECTION_STRING == "iris+emb:///IRISAPP"


def test_every_step_passes_and_the_image_keeps_no_table_it_did_not_have(
    user_product: PersistentClass, database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = _run(capsys)
    assert status == 0, lines
    steps = [line for line in lines if re.fullmatch(r"probe: [^ ].*", line)]
    assert steps == [
        "probe: imports",
        "probe: iris module",
        "probe: storage URL",
        "probe: User.product",
        "probe: ok",
    ]
    assert f"probe:   SELECT 1 through sqlite:///{database}" in lines
    assert "probe:   User.product 1 saved, read back by SQL and deleted" in lines
    assert "probe:   iris/__init__.py written by: iris-embedded-python-wrapper" in lines
    assert not inspect(create_engine(f"sqlite:///{database}")).has_table("product")


def test_a_table_that_was_there_keeps_its_rows_and_loses_only_the_probes(
    user_product: PersistentClass, database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(f"sqlite:///{database}")
    PRODUCT_TABLE.create(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO product (name, price) VALUES ('pear', 2.25)"))
    status, lines = _run(capsys)
    assert status == 0, lines
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, name FROM product ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, "pear")]
    assert "probe:   User.product 2 saved, read back by SQL and deleted" in lines


def test_a_failed_save_stops_the_probe_with_one_line_naming_the_step(
    product_class: ProductClass, database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    product_class.failure = "ERROR #5659: Property 'User.product::name' required"
    status, lines = _run(capsys)
    assert status == 1
    (error,) = [line for line in lines if line.startswith("probe-error: ")]
    assert error.startswith("probe-error: User.product: ")
    assert "ERROR #5659" in error
    assert "probe: ok" not in lines


def test_a_storage_url_that_cannot_connect_names_the_storage_step(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # iris+emb:// is local-only: sqlalchemy-iris refuses a host in it.
    monkeypatch.setenv("STORAGE_CONNECTION_STRING", "iris+emb://SuperUser@elsewhere/IRISAPP")
    status, lines = _run(capsys)
    assert status == 1
    (error,) = [line for line in lines if line.startswith("probe-error: ")]
    assert error.startswith("probe-error: storage URL: ArgumentError: ")
    assert "probe: User.product" not in lines


def test_a_module_that_does_not_import_names_the_imports_step(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "settings.py").write_text("import kafka_demo_missing_module\n")
    probe = _probe()
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "settings", raising=False)
    status = probe.run(tmp_path)
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[-1] == (
        "probe-error: imports: ModuleNotFoundError: No module named 'kafka_demo_missing_module'"
    )


class _Record:
    """One line of a distribution's RECORD: the iris/__init__.py it wrote, with its hash."""

    def __init__(self, content: bytes) -> None:
        self.hash = SimpleNamespace(value=_probe()._record_hash(content))

    def __str__(self) -> str:
        return "iris/__init__.py"


class _Distribution:
    def __init__(self, folder: Path, wrote: bytes) -> None:
        self.files = [_Record(wrote)]
        self.version = "0"
        self._folder = folder

    def locate_file(self, name: str) -> Path:
        return self._folder / name


def _installed(monkeypatch: pytest.MonkeyPatch, folder: Path, on_disk: bytes) -> None:
    """The wrapper and the native SDK installed into `folder`, `on_disk` their shared file."""
    (folder / "iris").mkdir()
    (folder / "iris" / "__init__.py").write_bytes(on_disk)
    distributions = {
        "iris-embedded-python-wrapper": _Distribution(folder, b"# the wrapper's\n"),
        "intersystems-irispython": _Distribution(folder, b"# the native SDK's\n"),
    }
    monkeypatch.setattr(importlib.metadata, "distribution", distributions.__getitem__)


@pytest.mark.parametrize(
    ("on_disk", "owner"),
    [
        (b"# the wrapper's\n", "iris-embedded-python-wrapper"),
        (b"# the native SDK's\n", "intersystems-irispython"),
        (b"from pythonint import *\n", "an unknown package"),
    ],
    ids=["wrapper", "native-sdk", "vendored-copy"],
)
def test_the_owner_of_iris_init_is_read_from_the_pip_records(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, on_disk: bytes, owner: str
) -> None:
    _installed(monkeypatch, tmp_path, on_disk)
    assert _probe().iris_init_owner() == owner


def test_this_environment_has_the_wrappers_iris_init() -> None:
    # The dev environment installs requirements.txt in one pip run, as the image does.
    assert _probe().iris_init_owner() == "iris-embedded-python-wrapper"


def test_an_iris_init_that_is_not_the_wrappers_fails_the_iris_module_step(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _installed(monkeypatch, tmp_path, b"# the native SDK's\n")
    status, lines = _run(capsys)
    assert status == 1
    assert "probe:   iris/__init__.py written by: intersystems-irispython" not in lines
    (error,) = [line for line in lines if line.startswith("probe-error: ")]
    assert error.startswith(
        "probe-error: iris module: ProbeFailed: iris/__init__.py is intersystems-irispython's,"
        " not iris-embedded-python-wrapper's"
    )
    assert "probe: storage URL" not in lines
