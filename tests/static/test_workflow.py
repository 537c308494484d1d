""".github/workflows/e2e.yml: actionlint finds nothing, and every piped step of every workflow
runs with pipefail."""

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.static.repo import ROOT

WORKFLOW = ROOT / ".github/workflows/e2e.yml"
# A pipe, not the `||` of a fallback.
PIPE = re.compile(r"(?<!\|)\|(?!\|)")


@cache
def _steps() -> list[dict[str, Any]]:
    (job,) = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"].values()
    return job["steps"]


def _step(fragment: str) -> tuple[int, dict[str, Any]]:
    for number, step in enumerate(_steps()):
        if fragment in str(step.get("run", "")) + str(step.get("uses", "")):
            return number, step
    raise AssertionError(f"no step with {fragment!r}")


def test_actionlint_finds_nothing() -> None:
    # The venv's bin directory first: the test command runs pytest without activating the venv.
    binary = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    if binary is None:
        pytest.skip("actionlint is not installed (requirements-dev.txt provides it)")
    result = subprocess.run(
        [binary, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _runs_with_pipefail(step: dict[str, Any]) -> bool:
    """GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`; a step without
    `shell:` runs `bash -e {0}`, without pipefail (GitHub's shell table; github/docs #23853)."""
    shell = str(step.get("shell", ""))
    first = str(step["run"]).lstrip().splitlines()[0]
    return (
        shell == "bash" or "pipefail" in shell or re.match(r"set -\w*o pipefail", first) is not None
    )


def test_every_step_with_a_pipe_in_every_workflow_runs_with_pipefail() -> None:
    piped = []
    for workflow in sorted((ROOT / ".github/workflows").glob("*.y*ml")):
        for job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values():
            for step in job["steps"]:
                if "run" in step and PIPE.search(str(step["run"])):
                    piped.append((workflow.name, step.get("name"), _runs_with_pipefail(step)))
    assert ("e2e.yml", "Build the images", True) in piped
    assert [p for p in piped if not p[2]] == []


def test_the_pipe_check_tells_a_pipe_from_a_fallback() -> None:
    assert PIPE.search("docker compose build 2>&1 | tee build.log")
    assert not PIPE.search("docker compose ps -a > logs/ps.txt 2>&1 || true")
    assert not _runs_with_pipefail({"run": "make | tee log"})
    assert _runs_with_pipefail({"run": "set -eo pipefail\nmake | tee log"})
    assert _runs_with_pipefail({"shell": "bash", "run": "make | tee log"})
