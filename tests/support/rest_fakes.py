"""The IRIS side of the REST doors, faked over a real LocalProduction.

`FakeDirector` is IOP.Director as app.py reaches it at the project's seam (the
stand-in's `add_class`); `FakeNativeApi` is intersystems-irispython's `iris`
module as app_standalone.py reaches it, recording every call in order. Both
end in the real KafkaRestBS of a running LocalProduction, so what a door sends
runs the real BP and BO.
"""

from typing import Any

from kafka_demo.local_mode.iris.router import LocalProduction

COMMUNICATION_LINK_ERROR = (
    "<COMMUNICATION LINK ERROR> Failed to connect to server; Details: Error code: -1"
)
"""What intersystems-irispython 5.3 raises (as RuntimeError) when nothing listens."""


class FakeDirector:
    """IOP.Director.dispatchCreateBusinessService over a LocalProduction, as IRIS answers it."""

    def __init__(self, production: LocalProduction) -> None:
        self.production = production
        self.created: list[str] = []

    def dispatchCreateBusinessService(self, name: str) -> "ServiceHost":  # noqa: N802
        self.created.append(name)
        if not self.production.items:
            raise RuntimeError("ERROR <Ens>ErrProductionNotRunning: No production is running")
        if name not in self.production.items:
            raise RuntimeError(
                f"ERROR <Ens>ErrBusinessDispatchNameNotRegistered: "
                f"Business dispatch name '{name}' is not registered to run"
            )
        return ServiceHost(self.production, name)


class ErrorStatus:
    """An error %Status as the fake hands it back over the native API."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return "0 " + self.text


class ServiceHost:
    """The Ens.BusinessService object IRIS creates for the item (IOP.BusinessService)."""

    def __init__(self, production: LocalProduction, name: str) -> None:
        self._production = production
        self._name = name

    def GetClass(self) -> Any:  # noqa: N802
        """The Python object behind the service: the real KafkaRestBS."""
        return self._production.component(self._name)

    def OnProcessInput(self, request: Any, response: "FakeReference") -> Any:  # noqa: N802
        """IOP.BusinessService.OnProcessInput: a Python exception becomes an error %Status."""
        try:
            response.setValue(NativeObject(self._production.process_input(self._name, request)))
        except Exception as error:
            return ErrorStatus(f"ERROR #5002: ObjectScript error: {type(error).__name__} {error}")
        return 1


class FakeReference:
    """iris.IRISReference: a by-reference (Output) argument."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def setValue(self, value: Any) -> None:  # noqa: N802
        self._value = value

    def getValue(self) -> Any:  # noqa: N802
        return self._value


class NativeObject:
    """An IRISObject over the native API, here the IOP.Message a reply was serialized into."""

    def __init__(self, message: Any) -> None:
        self._message = message

    def get(self, name: str) -> Any:
        if name == "json":
            return self._message.json_text()
        return getattr(self._message, name)


class FakeNativeApi:
    """intersystems-irispython's `iris` module: records every call, in order, in `calls`."""

    def __init__(self, director: FakeDirector, *, reachable: bool = True) -> None:
        self.director = director
        self.reachable = reachable
        self.calls: list[tuple[Any, ...]] = []
        self.connections: list[FakeConnection] = []

    def connect(self, **kwargs: Any) -> "FakeConnection":
        self.calls.append(("connect", kwargs))
        if not self.reachable:
            raise RuntimeError(COMMUNICATION_LINK_ERROR)
        connection = FakeConnection(self)
        self.connections.append(connection)
        return connection

    def createIRIS(self, connection: "FakeConnection") -> "FakeIris":  # noqa: N802
        self.calls.append(("createIRIS", connection.number))
        return FakeIris(self, connection)

    def IRISReference(self, value: Any) -> FakeReference:  # noqa: N802
        self.calls.append(("IRISReference", value))
        return FakeReference(value)

    def break_connections(self) -> None:
        """What a restarted IRIS or a dropped network does to every open connection."""
        for connection in self.connections:
            connection.broken = True

    def call_names(self) -> list[str]:
        return [call[0] for call in self.calls]


class FakeConnection:
    def __init__(self, api: FakeNativeApi) -> None:
        self._api = api
        self.number = len(api.connections) + 1
        self.broken = False
        self.closed = False

    def close(self) -> None:
        self._api.calls.append(("close", self.number))
        self.closed = True

    def ensure_usable(self) -> None:
        if self.broken or self.closed:
            raise RuntimeError("<COMMUNICATION LINK ERROR> Connection lost")


class FakeIris:
    """iris.IRIS: class methods, as the native API calls them."""

    def __init__(self, api: FakeNativeApi, connection: FakeConnection) -> None:
        self._api = api
        self._connection = connection

    def classMethodObject(self, class_name: str, method: str, *args: Any) -> "FakeIrisObject":  # noqa: N802
        self._api.calls.append(("classMethodObject", class_name, method, *args))
        self._connection.ensure_usable()
        if (class_name, method) != ("IOP.Director", "dispatchCreateBusinessService"):
            raise RuntimeError(f"<CLASS DOES NOT EXIST> {class_name}.{method}")
        return FakeIrisObject(
            self._api, self._connection, self._api.director.dispatchCreateBusinessService(*args)
        )

    def classMethodString(self, class_name: str, method: str, *args: Any) -> str:  # noqa: N802
        self._api.calls.append(("classMethodString", class_name, method))
        self._connection.ensure_usable()
        if (class_name, method) != ("%SYSTEM.Status", "GetErrorText"):
            raise RuntimeError(f"<CLASS DOES NOT EXIST> {class_name}.{method}")
        (status,) = args
        return status.text


class FakeIrisObject:
    """iris.IRISObject: an IRIS object held over the connection."""

    def __init__(self, api: FakeNativeApi, connection: FakeConnection, target: Any) -> None:
        self._api = api
        self._connection = connection
        self._target = target

    def invoke(self, method: str, *args: Any) -> Any:
        visible = tuple(arg for arg in args if not isinstance(arg, FakeReference))
        self._api.calls.append(("invoke", method, *visible))
        self._connection.ensure_usable()
        return getattr(self._target, method)(*args)
