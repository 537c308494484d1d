"""misc/scripts/test.sh upgrades pip once, when it creates the venv, not on every run; it runs
the linter, then the type checker, then the tests.

It runs in a copy of the repository layout with stand-ins: a `python3` that makes a
`.venv` whose `python` and `ruff` only record how they were called.
"""

import shutil
import subprocess
from pathlib import Path

from tests.static.repo import ROOT

VENV_TOOL = """#!/bin/bash
echo "$(basename "$0") $*" >> "$CALLS"
"""

# Stands in for the system python3: `-m venv DIR` makes DIR/bin/python, ruff and mypy.
FAKE_PYTHON3 = f"""#!/bin/bash
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    for tool in python ruff mypy; do
        cat > "$3/bin/$tool" <<'EOF'
{VENV_TOOL}EOF
        chmod +x "$3/bin/$tool"
    done
    echo "python3 -m venv $3" >> "$CALLS"
fi
"""


def _run(checkout: Path, calls: Path) -> list[str]:
    python3 = checkout / "fake-python3"
    python3.write_text(FAKE_PYTHON3)
    python3.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "PYTHON": str(python3), "CALLS": str(calls)}
    subprocess.run(
        ["sh", str(checkout / "misc/scripts/test.sh"), "-q"], env=env, check=True, timeout=60
    )
    lines = calls.read_text().splitlines()
    calls.unlink()
    return lines


def test_pip_is_upgraded_only_when_the_venv_is_created(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "misc" / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "misc/scripts/test.sh", checkout / "misc/scripts/test.sh")
    calls = tmp_path / "calls.log"
    upgrade = "python -m pip install --quiet --disable-pip-version-check --upgrade pip"
    install = "python -m pip install --quiet --disable-pip-version-check -e .[dev]"

    first = _run(checkout, calls)
    assert first[0] == "python3 -m venv .venv"
    assert first[1:3] == [upgrade, install]
    assert first[-1] == "python -m pytest -q"

    second = _run(checkout, calls)
    assert upgrade not in second
    assert second[0] == install
    assert second[-1] == "python -m pytest -q"


def test_the_type_checker_runs_after_the_linter_and_before_the_tests(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "misc" / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "misc/scripts/test.sh", checkout / "misc/scripts/test.sh")

    tools = [line.split()[0] for line in _run(checkout, tmp_path / "calls.log")]

    assert tools[-4:] == ["ruff", "ruff", "mypy", "python"]
