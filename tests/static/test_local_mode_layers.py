"""Inside the local mode, imports run one way: cli -> server -> web -> viewer -> iris -> trace,
then the shared ground, nothing back; and a function-level import says why it is deferred.

Read from the source with `ast`, so a failure names the file, the line and the import.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.static.repo import SRC_PYTHON

PACKAGE = "kafka_demo.local_mode"
LOCAL_MODE = SRC_PYTHON / "kafka_demo" / "local_mode"
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli",),
    ("server",),
    ("web",),
    ("viewer",),
    ("iris",),
    ("trace",),
    ("claim", "instances", "broker"),
    ("database",),
    ("config", "lifetime"),
)
"""Top to bottom. A part (a sub-package or a module of local_mode) may import itself and any
part of a lower layer; never a part of its own layer or of one above."""
DEFERRED_MARK = "# Deferred:"
"""What the comment line right above a function-level import (or a block of them) starts
with, followed by the reason: a command's start time, or gunicorn's master."""


@dataclass(frozen=True)
class Import:
    importer: str
    line: int
    module: str

    def where(self) -> str:
        return f"{self.importer}:{self.line} imports {self.module}"


def part_of(module: str) -> str | None:
    """The local mode's part a module belongs to (`kafka_demo.local_mode.iris.router` is iris);
    None outside the local mode."""
    if not module.startswith(f"{PACKAGE}."):
        return None
    return module.removeprefix(f"{PACKAGE}.").split(".")[0]


def layer_of(part: str) -> int:
    return next(depth for depth, parts in enumerate(LAYERS) if part in parts)


def module_name(path: Path, root: Path = SRC_PYTHON) -> str:
    """`kafka_demo/local_mode/iris/router.py` is kafka_demo.local_mode.iris.router, and a
    package's __init__.py the package."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = SRC_PYTHON) -> list[Import]:
    """Every import of the module at `path`: at its top, under `if TYPE_CHECKING:`, or in a
    function."""
    importer = module_name(path, root)
    return [
        Import(importer, node.lineno, name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in _names(node)
    ]


def _names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    return [f"{base}.{alias.name}" for alias in node.names]


def against_the_direction(found: Import) -> bool:
    here = part_of(found.importer)
    there = part_of(found.module)
    if here is None or there is None or here == there:
        return False
    return layer_of(there) <= layer_of(here)


def undeclared_deferred_imports(path: Path, root: Path = SRC_PYTHON) -> list[str]:
    """Function-level import blocks whose line above is not a `# Deferred:` comment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    missing = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for block in _import_blocks(function):
            above = lines[block.lineno - 2].strip()
            if not above.startswith(DEFERRED_MARK) or above == DEFERRED_MARK:
                missing.append(f"{path.relative_to(root)}:{block.lineno}")
    return missing


def _import_blocks(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """The first import of each run of consecutive imports in the function's bodies."""
    firsts: list[ast.stmt] = []
    for node in ast.walk(function):
        for body in (getattr(node, "body", None), getattr(node, "orelse", None)):
            if not isinstance(body, list):
                continue
            previous_was_import = False
            for statement in body:
                is_import = isinstance(statement, ast.Import | ast.ImportFrom)
                if is_import and not previous_was_import:
                    firsts.append(statement)
                previous_was_import = is_import
    return firsts


def local_mode_files() -> list[Path]:
    return sorted(LOCAL_MODE.rglob("*.py"))


def test_every_part_of_the_local_mode_has_a_layer() -> None:
    parts = {part_of(module_name(path)) for path in local_mode_files()} - {None}
    placed = {part for layer in LAYERS for part in layer}
    assert parts == placed


def test_no_import_runs_against_the_direction() -> None:
    wrong = [
        found.where()
        for path in local_mode_files()
        for found in imports_of(path)
        if against_the_direction(found)
    ]
    assert wrong == []


def test_every_deferred_import_says_why() -> None:
    missing = [line for path in local_mode_files() for line in undeclared_deferred_imports(path)]
    assert missing == []


UPWARD = """
from kafka_demo.local_mode.viewer.pages import MESSAGES_PATH
"""
SIDEWAYS = """
from kafka_demo.local_mode.instances import owned_by
"""
DOWNWARD = """
from kafka_demo.local_mode.trace.vocabulary import Hop
from kafka_demo.local_mode.iris.router import LocalProduction
"""


@pytest.mark.parametrize(
    ("where", "source", "wrong"),
    [
        ("iris/runtime.py", UPWARD, ["kafka_demo.local_mode.viewer.pages.MESSAGES_PATH"]),
        ("claim.py", SIDEWAYS, ["kafka_demo.local_mode.instances.owned_by"]),
        ("iris/runtime.py", DOWNWARD, []),
    ],
    ids=["upward", "sideways", "downward"],
)
def test_the_check_finds_an_import_upward_or_sideways(
    where: str, source: str, wrong: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "kafka_demo" / "local_mode" / where
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")

    found = imports_of(path, root=tmp_path)
    assert [one.module for one in found if against_the_direction(one)] == wrong


UNSAID = """
def run() -> None:
    x = 1
    from kafka_demo.local_mode.iris import runtime
    from kafka_demo.local_mode.iris import router
"""
SAID = """
def run() -> None:
    # Deferred: the production, which only this command runs.
    from kafka_demo.local_mode.iris import runtime
    from kafka_demo.local_mode.iris import router
    if runtime:
        # Deferred: Flask, for this branch only.
        from flask import Flask
"""
EMPTY_REASON = """
def run() -> None:
    # Deferred:
    from kafka_demo.local_mode.iris import runtime
"""


@pytest.mark.parametrize(
    ("source", "missing"),
    [(UNSAID, ["x.py:4"]), (SAID, []), (EMPTY_REASON, ["x.py:4"])],
    ids=["unsaid", "said", "empty-reason"],
)
def test_the_check_finds_a_deferred_import_without_its_reason(
    source: str, missing: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "x.py"
    path.write_text(source, encoding="utf-8")

    assert undeclared_deferred_imports(path, root=tmp_path) == missing
