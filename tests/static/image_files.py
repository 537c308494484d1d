"""What an image's COPY instructions put into it, copied from the repository into a folder.

Docker sends the build context without what `.dockerignore` matches, and each COPY then
copies its sources (a folder's contents, or files) to a destination under WORKDIR. Docker's
documented matching is followed: patterns are rooted at the context, `*` and `?` stay within
one path element, `**` spans any number of them, a matched folder takes its contents along,
and the last matching line wins (`!` brings a path back).
"""

import json
import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tests.static.repo import ROOT, dockerfile, text


def ignore_patterns() -> list[tuple[re.Pattern[str], bool]]:
    """`.dockerignore`'s lines as (regular expression, excludes) in file order."""
    return compile_ignore_lines(text(".dockerignore").splitlines())


def compile_ignore_lines(lines: Iterable[str]) -> list[tuple[re.Pattern[str], bool]]:
    """Lines of a .dockerignore file as (regular expression, excludes), in order."""
    patterns = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        pattern = posixpath.normpath(line.removeprefix("!")).lstrip("/")
        patterns.append((re.compile(_glob_regex(pattern)), excludes))
    return patterns


def _glob_regex(pattern: str) -> str:
    regex = ""
    for token in re.findall(r"\*\*/|\*\*|\*|\?|[^*?]+", pattern):
        if token == "**/":
            regex += "(?:.*/)?"
        elif token == "**":
            regex += ".*"
        elif token == "*":
            regex += "[^/]*"
        elif token == "?":
            regex += "[^/]"
        else:
            regex += re.escape(token)
    return f"^{regex}$"


def is_ignored(relative: str, patterns: list[tuple[re.Pattern[str], bool]]) -> bool:
    """Whether the build context leaves out `relative` (a path from the repository root)."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    ignored = False
    for regex, excludes in patterns:
        if any(regex.match(candidate) for candidate in candidates):
            ignored = excludes
    return ignored


def _context_files(source: Path) -> Iterator[Path]:
    yield from (
        (source,) if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    )


def copy_image_files(dockerfile_path: str, image_root: Path) -> Path:
    """Copy what the Dockerfile's COPY instructions take from the context into `image_root`
    (standing for the image's WORKDIR); returns `image_root`."""
    patterns = ignore_patterns()
    for instruction in dockerfile(dockerfile_path):
        if instruction.keyword != "COPY":
            continue
        *sources, destination = [w for w in instruction.args.split() if not w.startswith("--")]
        assert not destination.startswith("/"), f"COPY to {destination}: only WORKDIR is copied"
        target = image_root / destination
        for source in sources:
            for file in _context_files(ROOT / source):
                relative = file.relative_to(ROOT).as_posix()
                if is_ignored(relative, patterns):
                    continue
                inside = (
                    file.relative_to(ROOT / source) if (ROOT / source).is_dir() else Path(file.name)
                )
                (target / inside).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target / inside)
    return image_root


def run_python_in(folder: Path, script: str) -> dict[str, Any]:
    """Run `script` with this Python from `folder` (first on sys.path); the JSON object it
    printed last, after checking that its `package`, the kafka_demo it imported, is the copy's."""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    assert Path(report["package"]).is_relative_to(folder), report["package"]
    return report


def modules_within(loaded: Iterable[str], *packages: str) -> set[str]:
    """The names in `loaded` that are one of `packages` or a module inside one."""
    return {m for m in loaded if any(m == p or m.startswith(f"{p}.") for p in packages)}
