"""How app_standalone.py reaches Python.KafkaRestBS: the IRIS native API, from outside IRIS.

Per request: `IOP.Director.dispatchCreateBusinessService("Python.KafkaRestBS")`
gives the service as an IRIS object, `OnProcessInput(body, .response)` runs
it, and the response is the IOP.Message that IoP serialized the BP's answer
into (a class name and JSON). Pure of IoP: the standalone image has none.

The native API module is the IRIS seam here: `NativeGateway` takes a loader
for it (by default `import iris`, from intersystems-irispython), so tests
hand in a fake that records every call.
"""

import importlib
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from kafka_demo.defaults import KAFKA_REST_BS
from kafka_demo.rest.gateway import IRIS_UNREACHABLE_TEXT, ProductionUnavailable
from kafka_demo.rest.iris_errors import means_production_not_running, unavailable_for
from kafka_demo.rest.replies import Rejected, Stored, parse_reply

SERVICE_NAME = KAFKA_REST_BS
DIRECTOR_CLASS = "IOP.Director"

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


class NativeApi(Protocol):
    """The part of intersystems-irispython's `iris` module used here."""

    def connect(self, **kwargs: Any) -> Any: ...

    def createIRIS(self, connection: Any) -> Any: ...  # noqa: N802 (SDK name)

    def IRISReference(self, value: Any) -> Any: ...  # noqa: N802 (SDK name)


def load_native_api() -> NativeApi:
    """`import iris`, when first needed, so that importing the app needs no IRIS SDK."""
    return importlib.import_module("iris")


@dataclass(frozen=True)
class NativeSettings:
    """Where IRIS is and who to log in as: environment variables, with the demo's defaults."""

    hostname: str = "iris"
    port: int = 1972
    namespace: str = "IRISAPP"
    username: str = "SuperUser"
    password: str = "SYS"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "NativeSettings":
        defaults = cls()
        return cls(
            hostname=environ.get("IRIS_HOST", defaults.hostname),
            port=int(environ.get("IRIS_PORT", defaults.port)),
            namespace=environ.get("IRIS_NAMESPACE", defaults.namespace),
            username=environ.get("IRIS_USERNAME", defaults.username),
            password=environ.get("IRIS_PASSWORD", defaults.password),
        )


class ServiceFailed(RuntimeError):
    """OnProcessInput answered an error %Status that does not mean "production not running"."""


class NativeGateway:
    """One connection per worker process, opened on first use and re-opened after a failure.

    A connection carries one call at a time, so the calls of a worker's threads
    take turns. A connection that failed in any way other than IRIS answering
    "production not running" is dropped: a fresh login is cheap, and a half-broken
    connection cannot be told apart from a whole one.
    """

    def __init__(
        self, settings: NativeSettings, api_loader: Callable[[], NativeApi] = load_native_api
    ) -> None:
        self._settings = settings
        self._api_loader = api_loader
        self._api: NativeApi | None = None
        self._connection: Any = None
        self._iris: Any = None
        self._lock = threading.Lock()

    def submit(self, body: str) -> Stored | Rejected:
        return self._call(lambda iris_native: self._process_input(iris_native, body))

    def check(self) -> None:
        """Create the service: that needs IRIS, the running production and the item."""
        self._call(self._create_service)

    def _call(self, work: Callable[[Any], _T]) -> _T:
        with self._lock:
            iris_native = self._open()
            try:
                return work(iris_native)
            except (ProductionUnavailable, ServiceFailed):
                raise
            except Exception as error:
                if not means_production_not_running(str(error)):
                    self._drop_connection()
                unavailable = unavailable_for(str(error))
                if unavailable is None:
                    raise
                raise unavailable from error

    def _open(self) -> Any:
        if self._iris is None:
            api = self._native_api()
            try:
                self._connection = api.connect(
                    hostname=self._settings.hostname,
                    port=self._settings.port,
                    namespace=self._settings.namespace,
                    username=self._settings.username,
                    password=self._settings.password,
                )
            except Exception as error:
                _log.warning(
                    "Cannot connect to IRIS at %s:%s/%s: %s",
                    self._settings.hostname,
                    self._settings.port,
                    self._settings.namespace,
                    error,
                )
                raise ProductionUnavailable(IRIS_UNREACHABLE_TEXT) from error
            self._iris = api.createIRIS(self._connection)
        return self._iris

    def _drop_connection(self) -> None:
        connection, self._connection, self._iris = self._connection, None, None
        try:
            connection.close()
        except Exception as error:
            _log.debug("Closing a broken IRIS connection failed too: %s", error)

    def _native_api(self) -> NativeApi:
        if self._api is None:
            self._api = self._api_loader()
        return self._api

    def _create_service(self, iris_native: Any) -> Any:
        return iris_native.classMethodObject(
            DIRECTOR_CLASS, "dispatchCreateBusinessService", SERVICE_NAME
        )

    def _process_input(self, iris_native: Any, body: str) -> Stored | Rejected:
        service = self._create_service(iris_native)
        # UNCONFIRMED: an Output argument is passed as an IRISReference and read with getValue().
        response = self._native_api().IRISReference(None)
        status = service.invoke("OnProcessInput", body, response)
        _raise_on_error_status(iris_native, status)
        return outcome_of_serialized_reply(response.getValue())


def _raise_on_error_status(iris_native: Any, status: Any) -> None:
    # UNCONFIRMED: a %Status comes back over the native API as 1 when OK, and as the
    # encoded status otherwise, which %SYSTEM.Status.GetErrorText turns into its text.
    if str(status) == "1":
        return
    text = iris_native.classMethodString("%SYSTEM.Status", "GetErrorText", status)
    unavailable = unavailable_for(text)
    if unavailable is not None:
        raise unavailable
    raise ServiceFailed(f"{SERVICE_NAME}.OnProcessInput failed: {text}")


def outcome_of_serialized_reply(message: Any) -> Stored | Rejected:
    """The IOP.Message the service's answer was serialized into (its class name and JSON),
    as Stored or Rejected: over the native API the reply arrives as text, never as an object."""
    if message is None:
        raise ServiceFailed(f"{SERVICE_NAME}.OnProcessInput answered nothing")
    # UNCONFIRMED: IRISObject.get reads a property; `json` is a %String for a reply this
    # small (IoP switches to a stream above 1 MB).
    classname = str(message.get("classname"))
    fields = json.loads(str(message.get("json")))
    return parse_reply(classname, fields)
