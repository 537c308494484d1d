"""The gunicorn config files, read by gunicorn's own command-line parser."""

import json
import sys
from pathlib import Path

import pytest
from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.config import Config

from tests.static.repo import ROOT, SRC_PYTHON, dockerfile, service

CONFIG = "misc/deploy/gunicorn/gunicorn.conf.py"
ENV_NAMES = (
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_LOGLEVEL",
    "GUNICORN_PYTHONPATH",
    "GUNICORN_CMD_ARGS",
    "WEB_CONCURRENCY",
    "PORT",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def _load(monkeypatch: pytest.MonkeyPatch, config: str, *extra: str) -> Config:
    argv = ["gunicorn", "-c", str(ROOT / config), *extra, "app:app"]
    monkeypatch.setattr(sys, "argv", argv)
    return WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _load(monkeypatch, CONFIG)
    assert cfg.bind == ["0.0.0.0:5000"]
    assert 1 <= cfg.workers <= 4
    assert cfg.preload_app is False
    assert cfg.accesslog == "-"
    assert cfg.errorlog == "-"
    assert cfg.timeout == 30
    assert cfg.graceful_timeout == 20
    assert Path(cfg.pythonpath) == SRC_PYTHON


def test_bind_on_the_command_line_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:7000")
    cfg = _load(monkeypatch, CONFIG, "--bind", "127.0.0.1:18080")
    assert cfg.bind == ["127.0.0.1:18080"]


def test_settings_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:7000")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "61")
    monkeypatch.setenv("GUNICORN_GRACEFUL_TIMEOUT", "9")
    monkeypatch.setenv("GUNICORN_LOGLEVEL", "debug")
    cfg = _load(monkeypatch, CONFIG)
    assert cfg.bind == ["127.0.0.1:7000"]
    assert cfg.workers == 3
    assert cfg.timeout == 61
    assert cfg.graceful_timeout == 9
    assert cfg.loglevel == "debug"


def test_a_bad_worker_count_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_WORKERS", "0")
    with pytest.raises(SystemExit):
        _load(monkeypatch, CONFIG)


def test_the_standalone_image_serves_on_the_port_compose_publishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The image's command and ENV, read by gunicorn's own parser."""
    instructions = dockerfile("misc/deploy/Dockerfile.standalone")
    for instruction in instructions:
        if instruction.keyword == "ENV" and instruction.args.startswith("GUNICORN_BIND="):
            monkeypatch.setenv("GUNICORN_BIND", instruction.args.split("=", 1)[1])
    (command,) = [json.loads(i.args) for i in instructions if i.keyword == "CMD"]
    assert command[0] == "gunicorn"
    monkeypatch.setattr(sys, "argv", [str(ROOT / a) if a == CONFIG else a for a in command])
    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg
    (bind,) = cfg.bind
    port = int(bind.rpartition(":")[2])
    assert f"{port}:{port}" in service("standalone")["ports"]
