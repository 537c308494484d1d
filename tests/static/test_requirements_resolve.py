"""The requirements files resolve together, checked by pip's real resolver."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.static.repo import ROOT

# pip's words when it could not talk to the package index at all.
UNREACHABLE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
    r"resolution|Name or service not known|Network is unreachable|ProxyError|"
    r"ConnectTimeoutError|Max retries exceeded|Could not fetch URL|No route to host"
)


def _pip(*args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    command = [python, "-m", "pip", *args, "--disable-pip-version-check"]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def quick_start_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The python of a venv made as the README's quick start makes it: its pip is the one
    Python bundles (ensurepip's; 23.2 with Python 3.11), never upgraded."""
    venv = tmp_path_factory.mktemp("quick-start") / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    return str(venv / "bin" / "python")


@pytest.fixture(scope="module")
def index_reachable() -> None:
    """Skip, with pip's own message, when the configured package index cannot be reached."""
    probe = _pip("download", "--no-deps", "--dry-run", "--retries", "1", "-d", "/tmp", "pip")
    if probe.returncode != 0 and UNREACHABLE.search(probe.stdout + probe.stderr):
        reason = UNREACHABLE.search(probe.stdout + probe.stderr)
        pytest.skip(f"package index unreachable ({reason.group(0) if reason else ''})")


# Both images run Python 3.12: python:3.12-slim, and the system Python of the IRIS image.
# UNCONFIRMED: that the pinned IRIS image's Python is 3.12 (Ubuntu 24.04 based).
IMAGE_PYTHON = "3.12"


@pytest.mark.parametrize("requirements", ["requirements.txt", "requirements-standalone.txt"])
def test_requirements_are_mutually_installable(
    index_reachable: None, requirements: str, tmp_path: Path
) -> None:
    _check_resolves(requirements, tmp_path, sys.executable)


def test_the_check_works_with_the_pip_of_the_quick_starts_venv(
    index_reachable: None, quick_start_python: str, tmp_path: Path
) -> None:
    """./misc/scripts/test.sh in the venv the quick start made must not fail for pip's version."""
    _check_resolves("requirements.txt", tmp_path, quick_start_python)


def _check_resolves(requirements: str, tmp_path: Path, python: str) -> None:
    # --target: pip before 24 accepts --python-version only with it, even with --dry-run
    # ("Can not use any platform or abi specific options unless installing via '--target'"),
    # and the quick start's venv may have such a pip. Nothing is installed there.
    result = _pip(
        "install",
        "--dry-run",
        "--target",
        str(tmp_path / "target"),
        "--ignore-installed",
        "--quiet",
        "--python-version",
        IMAGE_PYTHON,
        "--only-binary=:all:",
        "--report",
        "-",
        "-r",
        str(ROOT / requirements),
        python=python,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and UNREACHABLE.search(output):
        pytest.skip(f"package index unreachable while resolving {requirements}")
    assert result.returncode == 0, output[-4000:]
    assert '"install"' in result.stdout
