"""What the REST doors share without Flask: their endpoints, the gateway that carries a
request to `Python.KafkaRestBS`, and what a door says when IRIS is away.

The Flask app (kafka_demo.rest.contract), both gateways and the pure error classifier
(kafka_demo.rest.iris_errors) import this; it imports nothing of Flask or IoP.
"""

from typing import Protocol

from kafka_demo.rest.replies import Rejected, Stored

PRODUCT_PATH = "/kafka"
HEALTH_PATH = "/health"
ENDPOINTS = (("POST", PRODUCT_PATH), ("GET", HEALTH_PATH))
"""The REST contract's endpoints, method and path: the app's routes and every text naming them."""

IRIS_UNREACHABLE_TEXT = "IRIS is not reachable; try again later"
PRODUCTION_NOT_RUNNING_TEXT = "the IRIS production is not running; try again later"


def endpoints_text(separator: str) -> str:
    """The endpoints as a reader sees them: `endpoints_text(" or ")` is
    "POST /kafka or GET /health"."""
    return separator.join(f"{method} {path}" for method, path in ENDPOINTS)


class ProductionUnavailable(RuntimeError):
    """IRIS or the production cannot be reached; the message is shown to the client as is."""


class ProductionGateway(Protocol):
    """How a door reaches `Python.KafkaRestBS`."""

    def submit(self, body: str) -> Stored | Rejected:
        """Hand the request body to the service; raise ProductionUnavailable if it cannot."""
        ...

    def check(self) -> None:
        """Raise ProductionUnavailable unless IRIS and the production can be reached."""
        ...
