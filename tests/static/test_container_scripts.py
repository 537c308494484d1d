"""Scripts run inside the IRIS container, against stand-ins for python3 and iris-main:
syntax, the health logic, the gunicorn restart, the entrypoint's start and stop."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.static.repo import ROOT
from tests.static.standins import install, real_python

SCRIPTS = [
    "misc/deploy/iris/build.sh",
    "misc/deploy/iris/entrypoint.sh",
    "misc/deploy/iris/gunicorn-supervisor.sh",
    "misc/deploy/iris/production-running.sh",
    "misc/deploy/kafka/create-topics.sh",
    "misc/scripts/run-e2e.sh",
    "misc/deploy/doctor.sh",
]

# Stands in for python3 in the container: `-m iop --status` prints what IoP would,
# `-m gunicorn` records that it ran and exits, anything else runs real Python.
FAKE_PYTHON3 = """
if [ "$1" = "-m" ] && [ "$2" = "iop" ]; then
    [ -n "$FAKE_IOP_FAILS" ] && exit 1
    printf 'namespace IRISAPP\\n{"Production": "%s", "Status": "%s", "NeedsUpdate": false}\\n' \
        "$FAKE_PRODUCTION" "$FAKE_STATUS"
    exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "gunicorn" ]; then
    echo "$*" >> "$FAKE_GUNICORN_LOG"
    if [ -n "$FAKE_GUNICORN_STAYS" ]; then
        trap 'echo "gunicorn got TERM" >> "$FAKE_EVENTS"; exit 0' TERM
        echo "gunicorn started" >> "$FAKE_EVENTS"
        while true; do sleep 0.05; done
    fi
    exit 3
fi
exec "$REAL_PYTHON" "$@"
"""


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    install(bin_dir, "python3", FAKE_PYTHON3)
    return bin_dir


def _env(fake_bin: Path, **values: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{fake_bin}:{env['PATH']}",
        REAL_PYTHON=real_python(),
        APP_DIR=str(ROOT),
        FAKE_PRODUCTION="Python.Production",
        FAKE_STATUS="running",
    )
    env.update(values)
    return env


def _health(fake_bin: Path, **values: str) -> int:
    script = ROOT / "misc/deploy/iris/production-running.sh"
    result = subprocess.run(["bash", str(script)], env=_env(fake_bin, **values), timeout=30)
    return result.returncode


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_parses_with_bash_n(script: str) -> None:
    subprocess.run(["bash", "-n", str(ROOT / script)], check=True)


def test_health_script_passes_only_when_iop_status_says_running(fake_bin: Path) -> None:
    assert _health(fake_bin) == 0
    assert _health(fake_bin, FAKE_STATUS="stopped") == 1
    assert _health(fake_bin, FAKE_STATUS="troubled") == 1


def test_health_script_fails_when_iop_status_names_another_production(fake_bin: Path) -> None:
    assert _health(fake_bin, FAKE_PRODUCTION="Other.Production") == 1


def test_health_script_fails_when_iop_status_fails(fake_bin: Path) -> None:
    assert _health(fake_bin, FAKE_IOP_FAILS="1") == 1


def test_supervisor_starts_gunicorn_again_when_it_exits(fake_bin: Path, tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    env = _env(fake_bin, FAKE_GUNICORN_LOG=str(log), GUNICORN_RESTART_DELAY="0.1")
    script = ROOT / "misc/deploy/iris/gunicorn-supervisor.sh"
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
    assert "-c " + str(ROOT / "misc/deploy/gunicorn/gunicorn.conf.py") in first
    assert first.endswith("app:app")


def _starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_the_supervisor_starts_no_gunicorn_while_the_production_is_not_running(
    fake_bin: Path, tmp_path: Path
) -> None:
    log = tmp_path / "gunicorn.log"
    env = _env(fake_bin, FAKE_STATUS="stopped", FAKE_GUNICORN_LOG=str(log))
    script = ROOT / "misc/deploy/iris/gunicorn-supervisor.sh"
    supervisor = subprocess.Popen(["bash", str(script)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
    finally:
        supervisor.kill()  # its TERM trap would wait for the sleep between two health checks
        output, _ = supervisor.communicate(timeout=10)
    assert "gunicorn-supervisor: waiting for the production to run" in output
    assert _starts(log) == 0


# Stands in for /iris-main: records its arguments and the signal it gets, and exits
# with FAKE_IRIS_STATUS when stopped (or after FAKE_IRIS_EXITS_AFTER seconds on its own).
FAKE_IRIS_MAIN = """
echo "iris-main $*" >> "$FAKE_EVENTS"
trap 'echo "iris-main got TERM" >> "$FAKE_EVENTS"; sleep 0.3; exit "${FAKE_IRIS_STATUS:-0}"' TERM
if [ -n "${FAKE_IRIS_EXITS_AFTER:-}" ]; then
    sleep "$FAKE_IRIS_EXITS_AFTER"
    exit "${FAKE_IRIS_STATUS:-0}"
fi
while true; do sleep 0.05; done
"""


def _start_entrypoint(fake_bin: Path, tmp_path: Path, **values: str) -> subprocess.Popen[bytes]:
    iris_main = install(tmp_path, "iris-main", FAKE_IRIS_MAIN)
    env = _env(
        fake_bin,
        IRIS_MAIN=str(iris_main),
        FAKE_EVENTS=str(tmp_path / "events.log"),
        FAKE_GUNICORN_LOG=str(tmp_path / "gunicorn.log"),
        FAKE_GUNICORN_STAYS="1",
        **values,
    )
    script = ROOT / "misc/deploy/iris/entrypoint.sh"
    return subprocess.Popen(
        ["bash", str(script), "--check-caps", "false"], env=env, stdout=subprocess.DEVNULL
    )


def _events(tmp_path: Path) -> list[str]:
    log = tmp_path / "events.log"
    return log.read_text().splitlines() if log.exists() else []


def _wait_for(tmp_path: Path, event: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while event not in _events(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert event in _events(tmp_path), _events(tmp_path)


def test_entrypoint_passes_its_arguments_to_iris_main(fake_bin: Path, tmp_path: Path) -> None:
    entrypoint = _start_entrypoint(fake_bin, tmp_path)
    try:
        _wait_for(tmp_path, "iris-main --check-caps false")
    finally:
        entrypoint.send_signal(signal.SIGTERM)
        entrypoint.wait(timeout=30)


def test_term_stops_gunicorn_first_then_reaches_iris_main(fake_bin: Path, tmp_path: Path) -> None:
    entrypoint = _start_entrypoint(fake_bin, tmp_path, FAKE_IRIS_STATUS="0")
    _wait_for(tmp_path, "gunicorn started")
    entrypoint.send_signal(signal.SIGTERM)
    assert entrypoint.wait(timeout=30) == 0
    events = _events(tmp_path)
    assert events.index("gunicorn got TERM") < events.index("iris-main got TERM")


def test_the_container_exits_with_the_status_of_iris_main(fake_bin: Path, tmp_path: Path) -> None:
    entrypoint = _start_entrypoint(fake_bin, tmp_path, FAKE_IRIS_STATUS="4")
    _wait_for(tmp_path, "gunicorn started")
    entrypoint.send_signal(signal.SIGTERM)
    assert entrypoint.wait(timeout=30) == 4


def test_when_iris_main_exits_on_its_own_the_supervisor_stops_too(
    fake_bin: Path, tmp_path: Path
) -> None:
    entrypoint = _start_entrypoint(
        fake_bin, tmp_path, FAKE_IRIS_EXITS_AFTER="2", FAKE_IRIS_STATUS="3"
    )
    assert entrypoint.wait(timeout=30) == 3
    events = _events(tmp_path)
    assert "gunicorn got TERM" in events
    assert "iris-main got TERM" not in events


def test_without_iris_main_named_the_entrypoint_starts_the_images_own(
    fake_bin: Path, tmp_path: Path
) -> None:
    """/iris-main, the image's documented entry point (docs/iris-evidence.md#iris-main); it is
    not on this machine, so the entrypoint ends with the shell's word for it."""
    env = _env(fake_bin, FAKE_GUNICORN_LOG=str(tmp_path / "gunicorn.log"), FAKE_GUNICORN_STAYS="1")
    env["FAKE_EVENTS"] = str(tmp_path / "events.log")
    env.pop("IRIS_MAIN", None)
    script = ROOT / "misc/deploy/iris/entrypoint.sh"
    ended = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, timeout=30
    )
    assert "/iris-main: No such file or directory" in ended.stderr
