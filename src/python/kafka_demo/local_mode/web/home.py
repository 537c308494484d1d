"""GET / while `kafka-demo local` runs: not a page of the REST contract, so a 404 that says where
to go (a browser user most likely wants /messages)."""

from flask import Blueprint, Response, jsonify

from kafka_demo.local_mode.viewer import MESSAGES_PATH
from kafka_demo.rest.gateway import endpoints_text

HOME_ERROR = (
    f"no page here: open {MESSAGES_PATH} for the message trace;"
    f" the REST door is {endpoints_text(' and ')}"
)


def home_blueprint() -> Blueprint:
    home = Blueprint("local_home", __name__)

    @home.get("/")
    def index() -> tuple[Response, int]:
        return jsonify(error=HOME_ERROR, messages=MESSAGES_PATH), 404

    return home
