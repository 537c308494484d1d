"""`kafka-demo local`'s HTTP side: the local app under gunicorn, the production in the worker.

One worker (threads for concurrent requests) runs the whole production, so the
REST doors and KafkaDemoBS share one router and one offset store, as the items
of one IRIS production do. The worker builds the local app (kafka_demo.local_mode.web),
starts the production, and stops it (consumer closed, offsets committed) when it exits.
"""

import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from kafka_demo.local_mode.config import LocalConfig
from kafka_demo.local_mode.lifetime import die_with
from kafka_demo.local_mode.viewer import MESSAGES_PATH
from kafka_demo.rest.gateway import endpoints_text

if TYPE_CHECKING:
    from kafka_demo.local_mode.iris.runtime import LocalRuntime

_log = logging.getLogger(__name__)


class _StopOnHangUp(Arbiter):
    """gunicorn's master, except that SIGHUP (the terminal closed) stops it as SIGTERM does.

    gunicorn reloads on SIGHUP and keeps the ports, which here would also start the
    production again against the same broker.
    """

    def handle_hup(self) -> None:
        self.log.info("Hang up: stopping, as on SIGTERM")
        self.handle_term()


class _MetadataRefreshCutByTheStop(logging.Filter):
    """Installed in the worker when it stops: closing a consumer cuts a metadata refresh in
    flight (a group join still going on, say), which kafka-python logs as an ERROR
    ("Metadata refresh: failed Cancelled"); or a network task its I/O thread is running
    ("Error closing coroutine for cancelled task", ValueError: generator already executing),
    or a read on a connection the close has just closed ("<KafkaTCPTransport ... (closed)>:
    Error receiving network data"). That is the stop itself, not a fault."""

    CUT = ("Metadata refresh: failed", "Error closing coroutine for cancelled task")
    CLOSED_READ = "(closed)>: Error receiving network data"

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith(self.CUT) or self.CLOSED_READ in message)


def _die_with_the_master(server: Any, worker: Any) -> None:
    """In the worker, just forked: SIGKILL when gunicorn's master (`kafka-demo local`) dies.

    Left running, an orphaned worker goes on serving the REST port and retrying a broker
    that died with the master for half a minute, so a restart finds its port taken."""
    die_with(server.pid)()


class LocalServer(BaseApplication):
    def __init__(
        self, config: LocalConfig, port: int, host: str = "127.0.0.1", token: str = ""
    ) -> None:
        """`token`: what the Resend endpoints ask for (the claim's, see viewer.resend)."""
        self.config = config
        self.bind = f"{host}:{port}"
        self.token = token
        self.runtime: LocalRuntime | None = None
        super().__init__()

    def load_config(self) -> None:
        settings = {
            "bind": self.bind,
            "workers": 1,
            "worker_class": "gthread",
            "threads": 4,
            "timeout": 60,
            "graceful_timeout": 5,
            "accesslog": "-",
            "control_socket_disable": True,
            "post_fork": _die_with_the_master,
            "post_worker_init": self._start_production,
            "worker_exit": self._stop_production,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        """In the worker: the production and its app, built once gunicorn has forked."""
        # Deferred: gunicorn's master never imports the production (IoP, Kafka); its worker does.
        from kafka_demo.local_mode.iris.runtime import LocalRuntime
        from kafka_demo.local_mode.web.app import create_local_app

        self.runtime = LocalRuntime(self.config)
        return create_local_app(self.runtime, self.token)

    def run(self) -> None:
        try:
            _StopOnHangUp(self).run()
        except RuntimeError as error:
            print(f"\nError: {error}\n", file=sys.stderr)
            sys.exit(1)

    def _start_production(self, worker: Any) -> None:
        assert self.runtime is not None
        # The master stops the worker on SIGHUP (with SIGTERM): the worker itself must not
        # die of it, as gunicorn leaves it to do, before the consumer is closed.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self.runtime.start()
        _log.info("ready: http://%s (%s, GET %s)", self.bind, endpoints_text(", "), MESSAGES_PATH)

    def _stop_production(self, server: Any, worker: Any) -> None:
        if self.runtime is not None:
            for name in ("kafka.cluster", "kafka.net.selector", "kafka.net.transport"):
                logging.getLogger(name).addFilter(_MetadataRefreshCutByTheStop())
            self.runtime.stop()
