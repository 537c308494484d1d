"""What an image's COPY instructions put into it, copied from the repository into a folder.

Docker sends the build context without what `.dockerignore` matches, and each COPY then
copies its sources (a folder's contents, or files) to a destination under WORKDIR. Docker's
documented matching is followed: patterns are rooted at the context, `*` and `?` stay within
one path element, `**` spans any number of them, a matched folder takes its contents along,
and the last matching line wins (`!` brings a path back).
"""

import posixpath
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from tests.static.repo import ROOT, dockerfile, text


def ignore_patterns() -> list[tuple[re.Pattern[str], bool]]:
    """`.dockerignore`'s lines as (regular expression, excludes) in file order."""
    patterns = []
    for line in text(".dockerignore").splitlines():
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
