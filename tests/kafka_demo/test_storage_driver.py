"""LocalStorageBO's start refuses a storage URL whose driver finds no DB-API in the process.

Three `iris` modules a job can meet (docs/iris-evidence.md#python-in-iris): the wrapper's
package (what this Python imports), IRIS's own package from <installdir>/lib/python,
whose attributes are ObjectScript package wrappers, and the kernel's built-in module,
which the wrapper's installer gives its facade. The last two are stand-ins put in
sys.modules, where the IRIS kernel puts its module.
"""

import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kafka_demo.bo import LocalStorageBO
from kafka_demo.storage_driver import NO_DBAPI, NoDBAPI, is_dbapi, require_dbapi
from tests.support.hosts import RecordingHandle, build_component

EMBEDDED_URL = "iris+emb:///IRISAPP"
IRIS_OWN_FILE = "/usr/irissys/lib/python/iris/__init__.py"
WRAPPER_MISSING = (
    "(the wrapper's installer could not run: ModuleNotFoundError: import of _iris_ep halted;"
    " None in sys.modules)"
)
KERNEL_CAUSE = (
    "the IRIS kernel gives its own `iris` module, without iris-embedded-python-wrapper's dbapi"
)
FIX_TEXT = (
    "install requirements.txt in one pip run into <installdir>/mgr/python, a folder on the"
    " kernel's sys.path, as the Dockerfile does, then rebuild; the build's kernel probe prints"
    " sys.path and where iris, iris_ep and _iris_ep come from"
    " (docs/iris-evidence.md#python-in-iris)"
)


class _PackageWrapper:
    """What IRIS's own `iris` answers for any name: callable only as an ObjectScript class."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, name: str) -> "_PackageWrapper":
        return _PackageWrapper(f"{self.name}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NameError(
            "Cannot call an iris.package wrapper. If you were trying to call a method of an"
            f" ObjectScript class, check that the name of the wrapper is correct. Given name"
            f" was: {self.name}"
        )


def _iris_own_module() -> ModuleType:
    """IRIS's own `iris` package, as a 2026 image's lib/python holds it."""
    module = ModuleType("iris")
    module.__file__ = IRIS_OWN_FILE
    module.__getattr__ = _PackageWrapper  # type: ignore[method-assign]
    return module


def _kernel_builtin_module() -> ModuleType:
    """The kernel's preloaded built-in `iris`: no file, a `cls`, no `dbapi`."""
    module = ModuleType("iris")
    module.cls = lambda name: None  # type: ignore[attr-defined]
    return module


def test_sqlite_finds_its_dbapi() -> None:
    require_dbapi("sqlite://")
    assert is_dbapi(sqlite3)


def test_the_embedded_url_finds_the_wrappers_dbapi_where_import_iris_gives_the_wrapper() -> None:
    require_dbapi(EMBEDDED_URL)
    import iris

    assert type(iris.dbapi).__module__ == "_iris_ep._dbapi_facade"


def _without_the_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process where the wrapper's modules cannot be imported."""
    for name in ("_iris_ep", "_iris_ep_sitehook"):
        monkeypatch.setitem(sys.modules, name, None)


def _embedded_refusal(monkeypatch: pytest.MonkeyPatch, iris: ModuleType) -> str:
    """The line require_dbapi refuses the embedded URL with, where `import iris` gives `iris`
    and the wrapper's modules cannot be imported."""
    monkeypatch.setitem(sys.modules, "iris", iris)
    _without_the_wrapper(monkeypatch)
    with pytest.raises(NoDBAPI) as refused:
        require_dbapi(EMBEDDED_URL)
    return str(refused.value)


def test_iris_own_module_without_the_wrapper_is_refused_with_one_line_naming_cause_and_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _embedded_refusal(monkeypatch, _iris_own_module()) == (
        "no DB-API for the storage URL (iris+emb): it got"
        " tests.kafka_demo.test_storage_driver._PackageWrapper, not a DB-API module"
        f" {WRAPPER_MISSING}; the `iris` module here is {IRIS_OWN_FILE}"
        f" -- likely cause: {KERNEL_CAUSE}; fix: {FIX_TEXT}"
    )


def test_the_kernels_builtin_module_without_the_wrapper_is_refused_naming_the_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """sqlalchemy-iris's import of `iris.dbapi` fails: the line gives that error."""
    assert _embedded_refusal(monkeypatch, _kernel_builtin_module()) == (
        "no DB-API for the storage URL (iris+emb): AttributeError: module 'iris' has no"
        f" attribute 'dbapi' {WRAPPER_MISSING}; the `iris` module here is built into the IRIS"
        f" kernel -- likely cause: {KERNEL_CAUSE}; fix: {FIX_TEXT}"
    )


def test_a_driver_whose_package_is_missing_is_refused_naming_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not an embedded URL: the wrapper's installer is not tried, so it is not named."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "iris", raising=False)
    _without_the_wrapper(monkeypatch)
    with pytest.raises(NoDBAPI) as refused:
        require_dbapi("postgresql+psycopg://demo@db/products")
    assert str(refused.value) == (
        "no DB-API for the storage URL (postgresql+psycopg): ModuleNotFoundError: import of"
        " psycopg halted; None in sys.modules; the `iris` module here is not imported"
        " -- likely cause: the package of the postgresql+psycopg driver is missing from this"
        f" Python; fix: {FIX_TEXT}"
    )


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"apilevel": "2.0"},
        {"apilevel": "2.0", "paramstyle": "qmark"},
        {"apilevel": "2.0", "paramstyle": None, "connect": print},
        {"apilevel": 2, "paramstyle": "qmark", "connect": print},
        {"apilevel": "2.0", "paramstyle": "qmark", "connect": "not callable"},
    ],
    ids=[
        "nothing",
        "apilevel only",
        "no connect",
        "paramstyle not text",
        "apilevel not text",
        "connect not callable",
    ],
)
def test_an_iris_dbapi_short_of_pep_249_is_refused(
    monkeypatch: pytest.MonkeyPatch, attributes: dict[str, Any]
) -> None:
    """PEP 249 asks for `apilevel` and `paramstyle` strings and a `connect()`."""
    dbapi = ModuleType("half_dbapi")
    for name, value in attributes.items():
        setattr(dbapi, name, value)
    builtin = _kernel_builtin_module()
    builtin.dbapi = dbapi  # type: ignore[attr-defined]
    assert _embedded_refusal(monkeypatch, builtin) == (
        "no DB-API for the storage URL (iris+emb): it got builtins.module, not a DB-API module"
        f" {WRAPPER_MISSING}; the `iris` module here is built into the IRIS kernel"
        f" -- likely cause: {KERNEL_CAUSE}; fix: {FIX_TEXT}"
    )


def test_the_kernels_builtin_module_gets_the_wrappers_facade_when_the_hook_did_not_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builtin = _kernel_builtin_module()
    monkeypatch.setitem(sys.modules, "iris", builtin)
    require_dbapi(EMBEDDED_URL)
    assert type(builtin.dbapi).__module__ == "_iris_ep._dbapi_facade"


def test_where_import_iris_gives_the_wrapper_a_missing_installer_does_not_matter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`iris` is the wrapper's package itself (python3, iop, gunicorn): nothing to patch."""
    _without_the_wrapper(monkeypatch)
    require_dbapi(EMBEDDED_URL)
    import iris

    assert type(iris.dbapi).__module__ == "_iris_ep._dbapi_facade"


def test_local_storage_bo_does_not_start_without_a_dbapi(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """build_component runs IoP's _dispatch_on_init, as IRIS does when it starts the item."""
    monkeypatch.setitem(sys.modules, "iris", _iris_own_module())
    _without_the_wrapper(monkeypatch)
    with pytest.raises(NoDBAPI, match=NO_DBAPI):
        build_component(LocalStorageBO, RecordingHandle(), connection_string=EMBEDDED_URL)
    started = build_component(
        LocalStorageBO, RecordingHandle(), connection_string=f"sqlite:///{tmp_path / 'p.db'}"
    )
    assert started._engine is None, "the check opens no database"
