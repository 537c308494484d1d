"""Building components the way IRIS does, and a host handle that records their sends."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iop.messages.dispatch import dispatch_deserializer, dispatch_serializer


@dataclass
class Send:
    kind: str  # "sync" or "async"
    target: str
    message: Any  # deserialized, so IoP's serialization round trip is part of every test


@dataclass
class RecordingHandle:
    """A component's IRIS host: records each send (deserialized) and answers sync ones."""

    answer: Callable[[str, Any], Any] = lambda target, message: None
    sends: list[Send] = field(default_factory=list)

    def dispatchSendRequestSync(self, target: str, request: Any, *_: Any) -> Any:  # noqa: N802
        message = dispatch_deserializer(request)
        self.sends.append(Send("sync", target, message))
        return dispatch_serializer(self.answer(target, message))

    def dispatchSendRequestAsync(self, target: str, request: Any, *_: Any) -> None:  # noqa: N802
        self.sends.append(Send("async", target, dispatch_deserializer(request)))


def build_component(cls: type, handle: Any = None, **settings: Any) -> Any:
    """`__new__`, host handle, settings as the strings IRIS hands over, then `_dispatch_on_init`."""
    component = cls.__new__(cls)
    component._set_iris_handles(handle if handle is not None else RecordingHandle(), None)
    for name, value in settings.items():
        setattr(component, name, str(value))
    component._dispatch_on_init(handle)
    return component
