"""misc/scripts/run-e2e.sh checks its Python before it deletes and rebuilds the stack.

`docker` is a stand-in on PATH that records each call, so the tests see whether the
script reached `docker compose down -v` (which deletes the stack's volumes).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.static.repo import ROOT
from tests.static.standins import install

SCRIPT = ROOT / "misc/scripts/run-e2e.sh"
WORKFLOW = ROOT / ".github/workflows/e2e.yml"

# Records its arguments; `compose exec` (the production health check) fails, so the
# script's first wait ends at once with E2E_WAIT_TIMEOUT=0 and nothing else runs.
FAKE_DOCKER = """
echo "$*" >> "$FAKE_DOCKER_LOG"
[ "$2" = "exec" ] && exit 1
exit 0
"""

# A Python that sees the standard library only: none of the suite's packages.
BARE_PYTHON = f"""
exec {sys.executable} -S "$@"
"""


@pytest.fixture
def docker_log(tmp_path: Path) -> Path:
    return tmp_path / "docker.log"


def _run(tmp_path: Path, docker_log: Path, **values: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    install(bin_dir, "docker", FAKE_DOCKER)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "KEEP_STACK")}
    env.update(
        PATH=f"{bin_dir}:{env['PATH']}",
        FAKE_DOCKER_LOG=str(docker_log),
        E2E_WAIT_TIMEOUT="0",
        **values,
    )
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )


def _docker_calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_a_missing_interpreter_fails_before_the_stack_is_touched(
    tmp_path: Path, docker_log: Path
) -> None:
    result = _run(tmp_path, docker_log, PYTHON=str(tmp_path / "no-such-python"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"run-e2e.sh: no Python at {tmp_path / 'no-such-python'}; create the project's venv"
        " with ./misc/scripts/test.sh, or set PYTHON=/path/to/python"
    ]
    assert _docker_calls(docker_log) == []


def test_missing_packages_are_named_before_the_stack_is_touched(
    tmp_path: Path, docker_log: Path
) -> None:
    bare = install(tmp_path, "bare-python", BARE_PYTHON)
    result = _run(tmp_path, docker_log, PYTHON=str(bare))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"run-e2e.sh: {bare} lacks what the suite imports: pytest sqlalchemy sqlalchemy_iris"
        " kafka iop iris kafka_demo;"
    )
    assert line.endswith(f"install them with: {bare} -m pip install -e '.[dev]'")
    assert _docker_calls(docker_log) == []


def test_the_projects_venv_is_the_default_and_the_stack_is_rebuilt_after_the_check(
    tmp_path: Path, docker_log: Path
) -> None:
    if not (ROOT / ".venv/bin/python").exists():
        pytest.skip("no .venv in the checkout; ./misc/scripts/test.sh creates it")
    result = _run(tmp_path, docker_log)
    assert result.stdout.splitlines()[0].startswith(
        "run-e2e.sh: running the suite with .venv/bin/python (Python 3."
    )
    calls = _docker_calls(docker_log)
    assert calls[:2] == ["compose down -v --remove-orphans", "compose up -d --build"]
    assert calls[2].startswith("compose exec -T iris")
    # The wait timed out (E2E_WAIT_TIMEOUT=0): the stack is shown, then taken down.
    assert result.returncode == 1
    assert "timed out after 0s waiting for Python.Production running" in result.stderr
    assert calls[-1] == "compose down -v --remove-orphans"


def test_under_the_workflows_environment_the_stack_stays_up_for_the_doctor(
    tmp_path: Path, docker_log: Path
) -> None:
    """.github/workflows/e2e.yml runs the doctor and collects the logs after the suite."""
    (job,) = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"].values()
    (suite,) = [step for step in job["steps"] if step.get("run") == "./misc/scripts/run-e2e.sh"]
    result = _run(tmp_path, docker_log, PYTHON=sys.executable, **suite.get("env", {}))
    assert result.returncode == 1, result.stderr  # the wait timed out (E2E_WAIT_TIMEOUT=0)
    calls = _docker_calls(docker_log)
    assert calls[:2] == ["compose down -v --remove-orphans", "compose up -d --build"]
    assert calls.count("compose down -v --remove-orphans") == 1, calls
