"""The Flask app of the doors inside IRIS (and of the local mode): the contract over IoP's director.

app.py builds its module-level `app` from here for IRIS WSGI and gunicorn; the
local mode builds its own, so it needs no file outside the package.
"""

from flask import Flask

from kafka_demo.rest.contract import create_app
from kafka_demo.rest.iris.director_gateway import DirectorGateway


def create_iris_app() -> Flask:
    """A fresh app with its own gateway (one per process: its services are cached per thread)."""
    return create_app(DirectorGateway())
