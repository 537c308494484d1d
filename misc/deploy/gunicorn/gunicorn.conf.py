"""gunicorn settings for both HTTP doors that gunicorn serves.

app.py inside the IRIS container binds the default port 5000; the standalone
image sets GUNICORN_BIND=0.0.0.0:5001 for app_standalone.py. Every value can be
overridden by an environment variable; a flag on the gunicorn command line
(such as ``--bind``) still wins, because gunicorn reads the command line after
this file.
"""

import os
from pathlib import Path

DEFAULT_BIND = "0.0.0.0:5000"

# src/python holds both app modules and the kafka_demo package; this file sits in
# misc/deploy/gunicorn/ both in the repository and in the image.
_SRC_PYTHON = Path(__file__).resolve().parents[3] / "src" / "python"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    value = int(raw) if raw else default
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value


bind = [os.environ.get("GUNICORN_BIND", DEFAULT_BIND)]
# Few workers: each worker logs in to IRIS (embedded) or opens a native-API connection
# of its own, and the Community Edition limits connections.
workers = _env_int("GUNICORN_WORKERS", 2)
threads = _env_int("GUNICORN_THREADS", 1)
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
# No preload: each worker imports the app after the fork, so no IRIS handle is
# ever shared between processes.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
pythonpath = os.environ.get("GUNICORN_PYTHONPATH", str(_SRC_PYTHON))
