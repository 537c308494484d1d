"""`kafka-demo local`'s Flask app, assembled in one place.

The doors' app is app.py's own (kafka_demo.rest.iris.app, reaching the production through the
IOP.Director stand-in); the local server adds the message viewer (/messages), Resend, a home
page that points there, and the hooks that trace the door's refusals.
"""

from flask import Flask

from kafka_demo.local_mode.iris.router import LocalProduction
from kafka_demo.local_mode.iris.runtime import LocalRuntime
from kafka_demo.local_mode.trace.vocabulary import TraceSink
from kafka_demo.local_mode.viewer.pages import messages_blueprint
from kafka_demo.local_mode.viewer.resend import resend_blueprint
from kafka_demo.local_mode.web.door_trace import trace_door_refusals
from kafka_demo.local_mode.web.home import home_blueprint
from kafka_demo.rest.iris.app import create_iris_app


def create_local_app(runtime: LocalRuntime, token: str) -> Flask:
    """The app for `runtime`'s production, started or not yet: until it runs, Resend answers
    503 and the door's refusals are not traced. `token` is what Resend asks for (the claim's,
    see kafka_demo.local_mode.viewer.resend)."""

    def running_production() -> LocalProduction | None:
        return runtime.production

    def running_trace() -> TraceSink | None:
        """The production's trace once it runs, where the door's refusals are kept too."""
        return runtime.production.trace if runtime.production is not None else None

    def flush_trace() -> None:
        if runtime.trace is not None:
            runtime.trace.flush()

    app = create_iris_app()
    trace_door_refusals(app, running_trace)
    app.register_blueprint(messages_blueprint(runtime.trace_engine, token=token))
    app.register_blueprint(
        resend_blueprint(
            runtime.trace_engine,
            running_production,
            token,
            flush_trace,
            owner=runtime.config.instance,
        )
    )
    app.register_blueprint(home_blueprint())
    return app
