"""`kafka-demo local` from a wheel, installed into a fresh virtual environment outside the checkout.

The wheel is built from a copy of the project's packaging files and package, so
nothing from the checkout (an editable install, a stale build/ folder, src/python
on a path) can stand in for what the wheel ships.
"""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from tests.support.local_process import LocalProcess, http, kafka_demo

ROOT = Path(__file__).resolve().parents[2]
PACKAGING_FILES = (
    "pyproject.toml",
    "README.md",
    "requirements.txt",
    "requirements-dev.txt",
    "requirements-local.txt",
)


def _run(*command: str | Path, cwd: Path, timeout: float = 300) -> str:
    """Run a build or install step; its output is the failure message."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=_outside_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _outside_env() -> dict[str, str]:
    """This environment without a path that would reach the checkout's sources."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}


def _copy_sources(destination: Path) -> Path:
    destination.mkdir()
    for name in PACKAGING_FILES:
        shutil.copy2(ROOT / name, destination / name)
    shutil.copytree(
        ROOT / "src" / "python" / "kafka_demo",
        destination / "src" / "python" / "kafka_demo",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return destination


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_kafka_demo_local_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    started = time.monotonic()
    sources = _copy_sources(tmp_path / "sources")
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", wheels, cwd=sources)
    (wheel,) = wheels.glob("iris_kafka_demo-*.whl")
    viewer = "kafka_demo/local_mode/viewer/"
    assert {
        f"{viewer}templates/viewer/messages.html",
        f"{viewer}templates/viewer/message.html",
        f"{viewer}static/viewer.css",
    } <= set(zipfile.ZipFile(wheel).namelist())

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", f"{wheel}[local]", cwd=tmp_path)
    installed = _run(
        venv / "bin" / "python", "-c", "import kafka_demo; print(kafka_demo.__file__)", cwd=tmp_path
    )
    assert installed.startswith(str(venv)), installed

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    executable = str(venv / "bin" / "kafka-demo")
    database = "sqlite:///products.db"  # relative: in the folder it runs from
    local = LocalProcess(database, tmp_path / "local.log", executable=executable, cwd=workdir)
    local.start(timeout=60)
    try:
        answer = http("POST", f"{local.url}/kafka", {"name": "wheel apple", "price": 2.5})
        products = kafka_demo("products", "--db", database, executable=executable, cwd=workdir)
        page = _get(f"{local.url}/messages?refresh=0")
        stylesheet = _get(f"{local.url}/messages/static/viewer.css")
    finally:
        exit_code = local.stop()

    status, body = answer
    assert status == 200, body
    assert body["message"] == "Message sent to KafkaDemoBP"
    assert products.returncode == 0, products.stderr
    rows = [line.split() for line in products.stdout.splitlines()]
    assert [str(body["id"]), body["route"], "wheel", "apple", "2.50"] in rows
    assert "1 product(s)" in products.stdout
    assert (workdir / "products.db").is_file()
    assert exit_code == 0
    assert "wheel apple" in page and "/messages/static/viewer.css" in page
    assert "svg.trace" in stylesheet
    print(f"wheel built, installed and run in {time.monotonic() - started:.1f} s")
