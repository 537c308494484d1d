"""The bare handler: Flask, one POST that parses the JSON body and inserts the row, nothing else.

Served by gunicorn with misc/gunicorn/gunicorn.conf.py, it is the REST baseline.
The insert is the one LocalStorageBO's raw SQL route runs, on an engine made the
same way (SQLAlchemy URL from BENCH_DB_URL, one transaction per row).
"""

import os
from decimal import Decimal

from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, text

_engine = create_engine(os.environ["BENCH_DB_URL"])
_INSERT = text("INSERT INTO product (name, price) VALUES (:name, :price)")

app = Flask(__name__)


@app.post("/kafka")
def post_product() -> tuple[Response, int]:
    body = request.get_json()
    price = str(Decimal(str(body["price"])))
    with _engine.begin() as connection:
        row_id = connection.execute(_INSERT, {"name": body["name"], "price": price}).lastrowid
    return jsonify(message="stored", id=row_id), 200
