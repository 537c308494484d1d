"""Scripts run inside the IRIS container: syntax, the health logic, the gunicorn restart."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.static.repo import ROOT, text

SCRIPTS = [
    "misc/iris/entrypoint.sh",
    "misc/iris/gunicorn-supervisor.sh",
    "misc/iris/production-running.sh",
    "misc/kafka/create-topics.sh",
    "misc/run-e2e.sh",
]

# Stands in for python3 in the container: `-m iop --status` prints what IoP would,
# `-m gunicorn` records that it ran and exits, anything else runs real Python.
FAKE_PYTHON3 = """#!/bin/bash
if [ "$1" = "-m" ] && [ "$2" = "iop" ]; then
    [ -n "$FAKE_IOP_FAILS" ] && exit 1
    printf 'namespace IRISAPP\\n{"Production": "%s", "Status": "%s", "NeedsUpdate": false}\\n' \
        "$FAKE_PRODUCTION" "$FAKE_STATUS"
    exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "gunicorn" ]; then
    echo "$*" >> "$FAKE_GUNICORN_LOG"
    exit 3
fi
exec "$REAL_PYTHON" "$@"
"""


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python3 = bin_dir / "python3"
    python3.write_text(FAKE_PYTHON3)
    python3.chmod(0o755)
    return bin_dir


def _env(fake_bin: Path, **values: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{fake_bin}:{env['PATH']}",
        REAL_PYTHON=subprocess.run(
            ["bash", "-c", "command -v python3"], capture_output=True, text=True, check=True
        ).stdout.strip(),
        APP_DIR=str(ROOT),
        FAKE_PRODUCTION="Python.Production",
        FAKE_STATUS="running",
    )
    env.update(values)
    return env


def _health(fake_bin: Path, **values: str) -> int:
    script = ROOT / "misc/iris/production-running.sh"
    result = subprocess.run(["bash", str(script)], env=_env(fake_bin, **values), timeout=30)
    return result.returncode


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_parses(script: str) -> None:
    subprocess.run(["bash", "-n", str(ROOT / script)], check=True)


def test_healthy_only_when_the_production_runs(fake_bin: Path) -> None:
    assert _health(fake_bin) == 0
    assert _health(fake_bin, FAKE_STATUS="stopped") == 1
    assert _health(fake_bin, FAKE_STATUS="troubled") == 1


def test_unhealthy_when_another_production_runs(fake_bin: Path) -> None:
    assert _health(fake_bin, FAKE_PRODUCTION="Other.Production") == 1


def test_unhealthy_when_iris_cannot_be_asked(fake_bin: Path) -> None:
    assert _health(fake_bin, FAKE_IOP_FAILS="1") == 1


def test_gunicorn_is_started_again_when_it_dies(fake_bin: Path, tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    env = _env(fake_bin, FAKE_GUNICORN_LOG=str(log), GUNICORN_RESTART_DELAY="0.1")
    script = ROOT / "misc/iris/gunicorn-supervisor.sh"
    supervisor = subprocess.Popen(["bash", str(script)], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _starts(log) < 2:
            time.sleep(0.1)
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=10)
    assert _starts(log) >= 2
    first = log.read_text().splitlines()[0]
    assert "-c " + str(ROOT / "misc/gunicorn/gunicorn.conf.py") in first
    assert first.endswith("app:app")


def _starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_the_entrypoint_runs_iris_as_the_image_does_and_the_supervisor_beside_it() -> None:
    script = text("misc/iris/entrypoint.sh")
    assert '/docker-entrypoint.sh "$@" &' in script
    assert '/iris-main "$@" &' in script
    assert 'bash "${app_dir}/misc/iris/gunicorn-supervisor.sh" &' in script
    assert 'wait "$iris_pid"' in script


def test_the_supervisor_waits_for_the_production_before_gunicorn() -> None:
    script = text("misc/iris/gunicorn-supervisor.sh")
    assert script.index("production-running.sh") < script.index("python3 -m gunicorn")
