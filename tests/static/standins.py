"""Stand-in executables for the shell scripts that drive IRIS, Docker and the doors.

Each stand-in is a small bash script put first on PATH; it records how it was called
in a log file and answers from environment variables the test sets.
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def install(bin_dir: Path, name: str, body: str) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)
    return path


def real_python() -> str:
    found = subprocess.run(
        ["bash", "-c", "command -v python3"], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


def run_script(
    script: Path, bin_dir: Path, env: dict[str, str], *args: str, timeout: float = 60
) -> Run:
    full_env = dict(os.environ)
    full_env.update(PATH=f"{bin_dir}:{full_env['PATH']}", REAL_PYTHON=real_python())
    full_env.update(env)
    result = subprocess.run(
        ["bash", str(script), *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []
