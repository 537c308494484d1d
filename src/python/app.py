"""The Flask app served by IRIS WSGI (web app /flask) and by gunicorn in the IRIS container.

Both look for the module-level `app`. It reaches Python.KafkaRestBS through
IoP's director on first use, never at import; see kafka_demo.rest.contract for the contract.
"""

from flask import Flask

from kafka_demo.rest.contract import create_app
from kafka_demo.rest.director_gateway import DirectorGateway


def create_iris_app() -> Flask:
    """A fresh app with its own gateway (one per process: its services are cached per thread)."""
    return create_app(DirectorGateway())


app = create_iris_app()

if __name__ == "__main__":
    # Development only: the Flask server, as the original demo ran it.
    app.run(host="0.0.0.0", port=5000)
