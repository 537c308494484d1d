"""The one way project code reaches IRIS.

Every call into IRIS goes through IoP's `get_iris()`, the seam that IoP itself
uses for its message containers and logs. Tests and the local mode stand in for
IRIS there, once, and everything else runs for real.

Outside an IRIS process the `iris` wrapper answers with silent stand-ins (mocks)
instead of failing; this module refuses them, so that a save or an offset that
did not happen can never pass for one that did.
"""

from typing import Any
from unittest.mock import Mock

from iop.runtime import iris as _iop_iris


class IrisUnavailable(RuntimeError):
    """This Python process is not attached to IRIS, so the call cannot be made."""


def iris_module() -> Any:
    """The `iris` module as IoP sees it (embedded IRIS, or the stand-in at the seam)."""
    return _iop_iris.get_iris()


def require_real(value: Any, what: str) -> Any:
    """Return `value`, or fail clearly if the iris wrapper handed back a stand-in."""
    if isinstance(value, Mock):
        raise IrisUnavailable(f"{what} needs IRIS, and this process is not running inside IRIS")
    return value


def iris_class(name: str) -> Any:
    """`iris.cls(name)`: an IRIS class, to call its class methods or `_New()`."""
    return require_real(iris_module().cls(name), f"iris.cls({name!r})")


def iris_global(name: str) -> Any:
    """`iris.gref(name)`: a reference to an IRIS global."""
    try:
        glob = iris_module().gref(name)
    except RuntimeError as error:
        raise IrisUnavailable(f"iris.gref({name!r}) needs IRIS: {error}") from error
    return require_real(glob, f"iris.gref({name!r})")


def check_status(status: Any, what: str) -> None:
    """Raise if an IRIS %Status is an error (`iris.check_status`)."""
    require_real(iris_module().check_status, f"checking the status of {what}")(status)
