"""Every module the WSGI apps import exists where they run.

The apps' imports are followed through src/python (kafka_demo.*); each outside
module must be the standard library or come from the requirements file of the
image that serves the app (directly or as a dependency of one listed there).
"""

import ast
import re
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from tests.static.image_files import copy_image_files, modules_within, run_python_in
from tests.static.repo import ROOT, SRC_PYTHON

APPS = {"app.py": "requirements.txt", "app_standalone.py": "requirements-standalone.txt"}


def _imports(path: Path) -> set[str]:
    """The modules `path` imports when it runs: those under `if TYPE_CHECKING:` never are."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(SRC_PYTHON).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in _run_time_nodes(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _run_time_nodes(node: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            yield from (n for other in child.orelse for n in (other, *_run_time_nodes(other)))
            continue
        yield child
        yield from _run_time_nodes(child)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    parts = parts[: len(parts) - node.level + 1]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _local_file(module: str) -> Path | None:
    base = SRC_PYTHON.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _closure(app: str) -> tuple[set[Path], set[str]]:
    """Local files reached from the app, and the outside top-level modules they import."""
    seen: set[Path] = set()
    outside: set[str] = set()
    todo = [SRC_PYTHON / app]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _imports(path):
            top = module.split(".")[0]
            if top == "kafka_demo":
                local = _local_file(module)
                if local is None and _local_file(module.rpartition(".")[0]) is None:
                    raise AssertionError(f"{path.name} imports {module}, which does not exist")
                todo.extend(p for p in (local, _local_file(module.rpartition(".")[0])) if p)
            elif top:
                outside.add(top)
    return seen, outside


def _requirement_names(requirements: str) -> set[str]:
    names = set()
    for line in (ROOT / requirements).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.add(_normal(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]))
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _with_dependencies(names: set[str]) -> set[str]:
    closure, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" not in requirement:
                todo.append(_normal(re.split(r"[<>=!~;\[ (]", requirement, maxsplit=1)[0]))
    return closure


@pytest.mark.parametrize("app", sorted(APPS))
def test_the_app_module_exists_with_a_module_level_app(app: str) -> None:
    path = SRC_PYTHON / app
    assert path.is_file(), f"{path} does not exist"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert "app" in assigned


@pytest.mark.parametrize("app", sorted(APPS))
def test_every_module_the_app_imports_is_shipped_or_installed(app: str) -> None:
    assert (SRC_PYTHON / app).is_file(), f"{app} does not exist"
    _, outside = _closure(app)
    providers = metadata.packages_distributions()
    installable = _with_dependencies(_requirement_names(APPS[app]))
    for module in sorted(outside - set(sys.stdlib_module_names)):
        dists = {_normal(d) for d in providers.get(module, [])}
        assert dists, f"{app} imports {module}, which no installed distribution provides"
        assert dists & installable, f"{app} imports {module} ({dists}) not in {APPS[app]}"


def test_the_standalone_import_closure_has_no_iop() -> None:
    """IoP's iris wrapper would shadow the native SDK the standalone server needs."""
    assert (SRC_PYTHON / "app_standalone.py").is_file(), "app_standalone.py does not exist"
    files, outside = _closure("app_standalone.py")
    assert "iop" not in outside, sorted(str(f.relative_to(SRC_PYTHON)) for f in files)


# In the standalone image's /app/src/python: app_standalone imported with IoP out of reach,
# a request it answers without IRIS, and every project or IoP module that got loaded.
STANDALONE_IMPORTS = """
import json, sys
sys.modules["iop"] = None
import app_standalone
answer = app_standalone.app.test_client().post("/kafka", json={"name": "apple", "price": -1})
loaded = sorted(n for n, m in sys.modules.items() if m and n.split(".")[0] in ("kafka_demo", "iop"))
package = sys.modules["kafka_demo"].__file__
print(json.dumps({"package": package, "answer": [answer.status_code, answer.get_json()],
                  "loaded": loaded}))
"""


def test_the_standalone_image_serves_its_app_without_iop_or_the_local_mode(tmp_path: Path) -> None:
    image_src = copy_image_files("misc/deploy/Dockerfile.standalone", tmp_path) / "src/python"
    assert not (image_src / "kafka_demo/local_mode").exists()

    served = run_python_in(image_src, STANDALONE_IMPORTS)

    assert served["answer"] == [400, {"error": "price must not be negative", "field": "price"}]
    loaded = set(served["loaded"])
    assert "kafka_demo.rest.standalone.native_gateway" in loaded
    assert not modules_within(loaded, "iop", "kafka_demo.local_mode", "kafka_demo.rest.iris")
