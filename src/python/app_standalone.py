"""The standalone REST server: the same contract as app.py, over the IRIS native API.

gunicorn serves the module-level `app` in its own container, which has no IoP;
IRIS is reached at IRIS_HOST:IRIS_PORT (namespace IRIS_NAMESPACE, as
IRIS_USERNAME / IRIS_PASSWORD), on first use. See kafka_demo.rest.contract for the contract.
"""

from collections.abc import Callable

from flask import Flask

from kafka_demo.rest.contract import create_app
from kafka_demo.rest.standalone.native_gateway import (
    NativeApi,
    NativeGateway,
    NativeSettings,
    load_native_api,
)


def create_standalone_app(
    settings: NativeSettings | None = None, api_loader: Callable[[], NativeApi] = load_native_api
) -> Flask:
    """A fresh app with its own gateway, and so its own connection to IRIS."""
    return create_app(NativeGateway(settings or NativeSettings.from_environment(), api_loader))


app = create_standalone_app()

if __name__ == "__main__":
    # Development only: the Flask server, as the original demo ran it.
    app.run(host="0.0.0.0", port=5001)
