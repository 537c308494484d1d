"""The bare handler: Flask, one POST that parses the JSON body and inserts the row, nothing else.

Served by gunicorn with misc/deploy/gunicorn/gunicorn.conf.py, it is the REST baseline.
The insert is the one LocalStorageBO's raw SQL route runs, on an engine made the
same way (SQLAlchemy URL from BENCH_DB_URL, one transaction per row), committing with
the durability of BENCH_DURABILITY (normal or full), as the local mode does.
"""

import os
from decimal import Decimal

from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, event, text

_engine = create_engine(os.environ["BENCH_DB_URL"])
_SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}[os.environ.get("BENCH_DURABILITY", "normal")]
event.listen(
    _engine,
    "connect",
    lambda connection, _: connection.execute(f"PRAGMA synchronous={_SYNCHRONOUS}"),
)
_INSERT = text("INSERT INTO product (name, price) VALUES (:name, :price)")

app = Flask(__name__)


@app.post("/kafka")
def post_product() -> tuple[Response, int]:
    body = request.get_json()
    price = str(Decimal(str(body["price"])))
    with _engine.begin() as connection:
        row_id = connection.execute(_INSERT, {"name": body["name"], "price": price}).lastrowid
    return jsonify(message="stored", id=row_id), 200
