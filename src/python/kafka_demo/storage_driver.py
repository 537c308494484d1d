"""Whether the storage URL's driver finds a DB-API here, checked when LocalStorageBO starts.

Inside IRIS, `iris+emb://` takes its DB-API from `import iris; iris.dbapi` (sqlalchemy-iris
0.20 `embedded.py`). The production's jobs run Python inside the IRIS kernel, where IRIS
puts its own `iris` module in place before any project code runs; only
iris-embedded-python-wrapper's facade gives that module a `dbapi`. IRIS's own `iris`
package (as measured on 2026.2) answers any attribute with an ObjectScript package
wrapper, so `iris.dbapi` exists there and fails only when called ("Cannot call an
iris.package wrapper ... Given name was: dbapi.connect"): without this check the first
stored message would fail, not the start.
See docs/iris-evidence.md#python-in-iris.
"""

import sys
from importlib import import_module
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

NO_DBAPI = "no DB-API for the storage URL"
"""How the line starts. It ends with ` -- likely cause: ...; fix: ...`, which the doctor
(misc/deploy/iris/doctor_iris.py) shows as the item's cause and fix."""
WRAPPER_HOOK = "_iris_ep_sitehook"
"""The wrapper's installer, by the module name its iris_ep.pth imports."""
FIX = (
    "install requirements.txt in one pip run into <installdir>/mgr/python, a folder on the"
    " kernel's sys.path, as the Dockerfile does, then rebuild; the build's kernel probe prints"
    " sys.path and where iris, iris_ep and _iris_ep come from"
    " (docs/iris-evidence.md#python-in-iris)"
)


class NoDBAPI(RuntimeError):
    """The storage URL's driver has no usable DB-API here: every stored message would fail."""


def require_dbapi(connection_string: str) -> None:
    """Raise NoDBAPI, with one line naming the cause and the fix, unless the URL's driver
    finds a DB-API module in this process. A malformed URL or an unknown dialect raises
    SQLAlchemy's ArgumentError, as make_url and get_dialect do."""
    url = make_url(connection_string)
    embedded = url.get_driver_name() == "emb"
    installer = install_wrapper_facade() if embedded else ""
    try:
        dialect = url.get_dialect()
        dbapi = dialect.import_dbapi()
    except ArgumentError:
        raise
    except Exception as error:  # IRIS's own `iris` fails sqlalchemy-iris's import with NameError
        what = f"{type(error).__name__}: {error}{installer}"
        raise NoDBAPI(_line(url.drivername, embedded, what)) from None
    if not is_dbapi(dbapi):
        what = f"it got {describe(dbapi)}, not a DB-API module{installer}"
        raise NoDBAPI(_line(url.drivername, embedded, what))


def install_wrapper_facade() -> str:
    """Give the kernel's `iris` the wrapper's facade (`dbapi`, `runtime`), as iris_ep.pth would;
    "" once done, else why the wrapper's installer could not run, for the error line.

    That start-up hook runs only from a site directory Python processes at start, which
    IRIS may not make of <installdir>/mgr/python. The wrapper's README names an explicit
    call as the alternative (`iris_ep.install()`, "idempotent and safe in every runtime").
    Both go by module names that IRIS's own files do not take: `_iris_ep`, whose first
    import copies the facade onto the `iris` module already imported, whichever it is
    (`_iris_ep/_runtime_facade.py`, `sync_public_modules`), and the hook's module, which
    patches the kernel's built-in `iris`. `iris_ep` itself could resolve to the iris_ep.py
    that IRIS ships in <installdir>/lib/python.
    """
    try:
        import_module("_iris_ep")
        import_module(WRAPPER_HOOK).install()
    except Exception as error:
        return f" (the wrapper's installer could not run: {type(error).__name__}: {error})"
    return ""


def is_dbapi(candidate: Any) -> bool:
    """What PEP 249 asks of a DB-API module: `apilevel` and `paramstyle` strings, `connect()`."""
    try:
        return (
            isinstance(candidate.apilevel, str)
            and isinstance(candidate.paramstyle, str)
            and callable(candidate.connect)
        )
    except Exception:
        return False


def describe(candidate: Any) -> str:
    kind = type(candidate)
    return f"{kind.__module__}.{kind.__qualname__}"


def iris_origin() -> str:
    """Where this process's `iris` module came from."""
    module = sys.modules.get("iris")
    if module is None:
        return "not imported"
    return getattr(module, "__file__", None) or "built into the IRIS kernel"


def _line(drivername: str, embedded: bool, what: str) -> str:
    if embedded:
        cause = (
            "the IRIS kernel gives its own `iris` module, without iris-embedded-python-wrapper's"
            " dbapi"
        )
    else:
        cause = f"the package of the {drivername} driver is missing from this Python"
    return (
        f"{NO_DBAPI} ({drivername}): {what}; the `iris` module here is {iris_origin()}"
        f" -- likely cause: {cause}; fix: {FIX}"
    )
