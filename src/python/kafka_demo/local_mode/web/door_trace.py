"""The REST door's refusals, traced: a 4xx answer to POST /kafka becomes a session of its own.

It never reaches the production (the door checks with the BP's rules first), so IRIS's
viewer has no such session; the local viewer lists it (as Rejected) so nothing is hidden.
The hooks are the local app's, on every door request, whichever blueprint serves it.
"""

import json
import logging
from collections.abc import Callable
from http import HTTPStatus

from flask import Flask, Response, request

from kafka_demo.local_mode.trace.vocabulary import (
    COMPLETED,
    HTTP_CLIENT,
    REJECTED,
    REST_DOOR,
    Hop,
    TraceSink,
)
from kafka_demo.rest.contract import MAX_BODY_BYTES
from kafka_demo.rest.gateway import PRODUCT_PATH

_log = logging.getLogger(__name__)


def trace_door_refusals(app: Flask, trace_sink: Callable[[], TraceSink | None]) -> None:
    """Trace each refusal of `app`'s door into `trace_sink()` (None before the production runs:
    then nothing is traced)."""

    @app.before_request
    def keep_door_body() -> None:
        """Let the door's body be read twice (by the door, then to trace a refusal)."""
        if _is_door_request() and _body_is_small():
            request.get_data(cache=True)

    @app.after_request
    def trace_door_refusal(response: Response) -> Response:
        if _is_door_request() and 400 <= response.status_code < 500:
            sink = trace_sink()
            if sink is not None:
                _record_refusal(sink, response)
        return response


def _is_door_request() -> bool:
    return request.method == "POST" and request.path == PRODUCT_PATH


def _body_is_small() -> bool:
    length = request.content_length
    return length is not None and length <= MAX_BODY_BYTES


def _record_refusal(sink: TraceSink, response: Response) -> None:
    """The door's refusal as a session of its own: the request, refused, and the answer.

    A trace that cannot be kept is logged; the client still gets its answer.
    """
    answer = response.get_data(as_text=True)
    try:
        reason = str(json.loads(answer).get("error", ""))
    except (ValueError, AttributeError):
        reason = answer
    body = request.get_data(cache=True) if _body_is_small() else b"(body not kept: too large)"
    try:
        session_id = sink.new_session()
        refused = sink.record(
            Hop(session_id, HTTP_CLIENT, REST_DOOR, "Request", f"POST {PRODUCT_PATH}", _text(body))
        )
        sink.finish(refused, REJECTED, f"HTTP {response.status_code}: {reason}")
        reply = sink.record(
            Hop(
                session_id,
                REST_DOOR,
                HTTP_CLIENT,
                "Response",
                f"HTTP {response.status_code} {HTTPStatus(response.status_code).phrase}",
                answer,
            )
        )
        sink.finish(reply, COMPLETED)
        sink.end_session(session_id)
    except Exception as error:
        _log.error("the REST door's refusal was not traced: %s", error)


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")
