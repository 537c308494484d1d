"""GET / in the local mode: a 404 that names the message trace and the REST door's endpoints."""

from flask import Flask

from kafka_demo.local_mode.web.home import home_blueprint


def test_the_root_answers_404_and_points_to_the_trace_and_the_endpoints() -> None:
    app = Flask(__name__)
    app.register_blueprint(home_blueprint())

    response = app.test_client().get("/")

    assert response.status_code == 404
    assert response.get_json() == {
        "error": "no page here: open /messages for the message trace;"
        " the REST door is POST /kafka and GET /health",
        "messages": "/messages",
    }
