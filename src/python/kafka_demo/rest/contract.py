"""The REST contract of the three HTTP doors, in one place.

`create_app(gateway)` builds the Flask app that IRIS WSGI, gunicorn in the
IRIS container and the standalone server all serve; they differ only in the
gateway that carries a request body to `Python.KafkaRestBS`. Input is checked
here with the very rules the Business Process runs (kafka_demo.rules), so a
bad request gets its 400 without a trip to IRIS; the BP checks again and its
verdict is final. Pure of IoP: the standalone server imports this without it.
"""

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from kafka_demo import rules
from kafka_demo.rest.gateway import (
    HEALTH_PATH,
    PRODUCT_PATH,
    ProductionGateway,
    ProductionUnavailable,
    endpoints_text,
)
from kafka_demo.rest.replies import Rejected, Stored

MAX_BODY_BYTES = 64 * 1024
"""Largest request body accepted; a valid product needs well under 2 KiB."""
READ_LIMIT_BYTES = MAX_BODY_BYTES + 1
"""The most of a body the app reads: one byte over the limit tells a body too large from one
at the limit, whether its size was declared (Content-Length) or not (chunked). The limit is
enforced on the bytes read: a chunked body is never cut to the limit and parsed."""

SENT_MESSAGE = "Message sent to KafkaDemoBP"
RETRY_AFTER_SECONDS = 5

_log = logging.getLogger(__name__)


def create_app(gateway: ProductionGateway) -> Flask:
    """The Flask app of one door, answering every request with JSON."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = READ_LIMIT_BYTES
    app.json = _JsonInOrder(app)

    @app.post(PRODUCT_PATH)
    def post_product() -> tuple[Response, int]:
        if not request.is_json:
            return _error(415, "Content-Type must be application/json")
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY_BYTES:
            raise RequestEntityTooLarge()
        try:
            text = rules.decode_payload(body)
            rules.product_from_text(text)
        except rules.InvalidProduct as invalid:
            return jsonify(invalid.as_dict()), 400
        return _reply(gateway.submit(text))

    @app.get(HEALTH_PATH)
    def health() -> tuple[Response, int]:
        try:
            gateway.check()
        except ProductionUnavailable as unavailable:
            return _unavailable_response(unavailable, {"status": "unavailable", "iris": False})
        return jsonify(status="ok", iris=True), 200

    app.register_error_handler(ProductionUnavailable, _production_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_fault)
    return app


class _JsonInOrder(DefaultJSONProvider):
    """JSON with its keys in the order written and non-ASCII text as is."""

    ensure_ascii = False
    sort_keys = False


def _reply(outcome: Stored | Rejected) -> tuple[Response, int]:
    if isinstance(outcome, Rejected):
        return jsonify(rules.InvalidProduct(outcome.reason, outcome.field).as_dict()), 400
    return jsonify(message=SENT_MESSAGE, route=outcome.route, id=outcome.id), 200


def _error(status: int, text: str) -> tuple[Response, int]:
    return jsonify(error=text), status


def _unavailable_response(
    unavailable: ProductionUnavailable, body: dict[str, Any]
) -> tuple[Response, int]:
    _log.warning("Answering 503: %s (cause: %r)", unavailable, unavailable.__cause__)
    response = jsonify({**body, "error": str(unavailable)})
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, 503


def _production_unavailable(unavailable: ProductionUnavailable) -> tuple[Response, int]:
    return _unavailable_response(unavailable, {})


_HTTP_ERROR_TEXTS = {
    404: f"no such endpoint: use {endpoints_text(' or ')}",
    413: f"request body is larger than {MAX_BODY_BYTES} bytes",
}


def _http_error(error: HTTPException) -> BaseResponse:
    """Flask's own errors (404, 405, 413...) as JSON, keeping their headers (such as Allow)."""
    status = error.code or 500
    if status == 405:
        text = f"method {request.method} is not allowed on {request.path}"
    else:
        text = _HTTP_ERROR_TEXTS.get(status, (error.name or "error").lower())
    response = error.get_response()
    response.set_data(jsonify(error=text).get_data())
    response.mimetype = "application/json"
    return response


def _server_fault(error: Exception) -> tuple[Response, int]:
    """Anything unforeseen: logged with its stack, never shown to the client."""
    _log.exception("Unhandled error on %s %s", request.method, request.path)
    return _error(500, "internal server error")
