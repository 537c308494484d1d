"""How app.py reaches Python.KafkaRestBS: IoP's director, inside an IRIS process.

IoP 4's non-deprecated `create_python_business_service` asks IRIS
(IOP.Director.dispatchCreateBusinessService) for the service and hands back
its Python object, whose `on_process_input` runs in this very process.
"""

import threading
from collections.abc import Callable
from typing import Any, NoReturn

from iop.runtime.director import create_python_business_service

from kafka_demo.defaults import KAFKA_REST_BS
from kafka_demo.iris_gateway import IrisUnavailable, require_real
from kafka_demo.msg import ProductRejected, ProductStored
from kafka_demo.rest.gateway import IRIS_UNREACHABLE_TEXT, ProductionUnavailable
from kafka_demo.rest.iris_errors import unavailable_for
from kafka_demo.rest.replies import Rejected, Stored

SERVICE_NAME = KAFKA_REST_BS


class DirectorGateway:
    """Keeps one service per thread of a worker, created on first use and again after a failure.

    Never created at import time: IRIS WSGI and gunicorn import the app before
    the production may be running, and a service that failed once is not trusted again.
    """

    def __init__(
        self,
        service_name: str = SERVICE_NAME,
        create_service: Callable[[str], Any] = create_python_business_service,
    ) -> None:
        self._service_name = service_name
        self._create_service = create_service
        self._local = threading.local()

    def submit(self, body: str) -> Stored | Rejected:
        service = self._service()
        try:
            reply = service.on_process_input(body)
        except Exception as error:
            self._forget_service()
            _raise_translated(error)
        return outcome_of_reply(reply)

    def check(self) -> None:
        """Create the service afresh: that needs IRIS, the running production and the item."""
        self._forget_service()
        self._service()

    def _service(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            try:
                service = require_real(
                    self._create_service(self._service_name), f"the service {self._service_name}"
                )
            except Exception as error:
                _raise_translated(error)
            self._local.service = service
        return service

    def _forget_service(self) -> None:
        self._local.service = None


def _raise_translated(error: Exception) -> NoReturn:
    """Raise ProductionUnavailable for IRIS or the production being away, else `error` itself."""
    if isinstance(error, IrisUnavailable):
        raise ProductionUnavailable(IRIS_UNREACHABLE_TEXT) from error
    unavailable = unavailable_for(str(error))
    if unavailable is not None:
        raise unavailable from error
    raise error


def outcome_of_reply(reply: object) -> Stored | Rejected:
    """The service's answer, a live ProductStored or ProductRejected message, as Stored or
    Rejected, told apart by type: KafkaRestBS, in this very process, returns the message
    object it checked with the same isinstance (kafka_demo.bs)."""
    # LIKELY, not run against IRIS: there too the reply is an instance of kafka_demo.msg's own
    # class, as IoP rebuilds it by importing its module (docs/iris-evidence.md#director-reply).
    if isinstance(reply, ProductStored):
        return Stored(route=reply.route, id=reply.id)
    if isinstance(reply, ProductRejected):
        return Rejected(reason=reply.reason, field=reply.field or None)
    raise TypeError(f"unexpected answer from {SERVICE_NAME}: {type(reply).__name__}")
