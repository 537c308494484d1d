"""The requirements files resolve together, checked by pip's real resolver."""

import re
import subprocess
import sys

import pytest

from tests.static.repo import ROOT

# pip's words when it could not talk to the package index at all.
UNREACHABLE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
    r"resolution|Name or service not known|Network is unreachable|ProxyError|"
    r"ConnectTimeoutError|Max retries exceeded|Could not fetch URL|No route to host"
)


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


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
def test_requirements_are_mutually_installable(index_reachable: None, requirements: str) -> None:
    result = _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--python-version",
        IMAGE_PYTHON,
        "--only-binary=:all:",
        "--report",
        "-",
        "-r",
        str(ROOT / requirements),
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and UNREACHABLE.search(output):
        pytest.skip(f"package index unreachable while resolving {requirements}")
    assert result.returncode == 0, output[-4000:]
    assert '"install"' in result.stdout
