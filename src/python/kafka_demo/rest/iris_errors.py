"""Telling apart, in an IRIS error's text, "IRIS or the production is not there" from faults.

Both REST gateways use this: the first kind is a 503 (try again later), every
other error a 500. Pure, so the standalone server can use it without IoP.
"""

from kafka_demo.rest.gateway import (
    IRIS_UNREACHABLE_TEXT,
    PRODUCTION_NOT_RUNNING_TEXT,
    ProductionUnavailable,
)

PRODUCTION_NOT_RUNNING_MARKERS = (
    # Ens.Director when no production runs (macro $$$EnsErrProductionNotRunning).
    "ErrProductionNotRunning",
    # Ens.Director.CreateBusinessService, or a send, when the item is not in the running production.
    "ErrBusinessDispatchNameNotRegistered",
    # UNCONFIRMED: the text of <Ens>ErrGeneral when a target item is disabled or stopped.
    "is not running",
)

CONNECTION_LOST_MARKERS = (
    # The native API (intersystems-irispython 5.3) raises RuntimeError with this text when it
    # cannot connect; UNCONFIRMED that a connection lost mid-call reads the same.
    "<COMMUNICATION LINK ERROR>",
)


def means_production_not_running(error_text: str) -> bool:
    """True when IRIS says the production, or the item asked for, is not running."""
    return any(marker in error_text for marker in PRODUCTION_NOT_RUNNING_MARKERS)


def means_connection_lost(error_text: str) -> bool:
    """True when the native API says the link to IRIS is down."""
    return any(marker in error_text for marker in CONNECTION_LOST_MARKERS)


def unavailable_for(error_text: str) -> ProductionUnavailable | None:
    """The 503 an IRIS error stands for, or None when it is a fault (a 500)."""
    if means_connection_lost(error_text):
        return ProductionUnavailable(IRIS_UNREACHABLE_TEXT)
    if means_production_not_running(error_text):
        return ProductionUnavailable(PRODUCTION_NOT_RUNNING_TEXT)
    return None
