"""The fair bare handler, Flask doing the REST door's mandated work (docs/performance.md)."""

import os
import threading

from flask import Flask, Response, jsonify, request
from handwritten import WRITES, open_store
from sqlalchemy import Connection

from kafka_demo import rules

_engine = open_store(os.environ["BENCH_DB_URL"], os.environ.get("BENCH_DURABILITY", "normal"))
_held = threading.local()
app = Flask(__name__)


def _connection() -> Connection:
    if getattr(_held, "connection", None) is None:
        _held.connection = _engine.connect()
    return _held.connection


@app.post("/kafka")
def post_product() -> tuple[Response, int]:
    try:
        product = rules.product_from_bytes(request.get_data(cache=False))
    except rules.InvalidProduct as invalid:
        return jsonify(invalid.as_dict()), 400
    route = rules.choose_route(rules.ALL_ROUTES)
    row_id = WRITES[route](_connection(), product, "")
    return jsonify(message="stored", route=route, id=row_id), 200
