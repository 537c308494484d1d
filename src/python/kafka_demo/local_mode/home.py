"""GET / while `kafka-demo local` runs: not a page of the REST contract, so a 404 that says where
to go (a browser user most likely wants /messages)."""

from flask import Blueprint, Response, jsonify

HOME_ERROR = (
    "no page here: open /messages for the message trace;"
    " the REST door is POST /kafka and GET /health"
)


def home_blueprint() -> Blueprint:
    home = Blueprint("local_home", __name__)

    @home.get("/")
    def index() -> tuple[Response, int]:
        return jsonify(error=HOME_ERROR, messages="/messages"), 404

    return home
