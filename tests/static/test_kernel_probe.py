"""misc/deploy/iris/kernel_probe.py, fed on its input to this Python as build.sh feeds it to
`iris python IRIS`: here, where `import iris` gives the wrapper, and where a folder ahead on
the path holds a stand-in of IRIS's own `iris` package (as <installdir>/lib/python does).

What the build prints on an image whose kernel gives IRIS's own module is the second case.
"""

import os
import subprocess
import sys
from pathlib import Path

from tests.static.repo import ROOT, SRC_PYTHON

KERNEL_PROBE = ROOT / "misc/deploy/iris/kernel_probe.py"

# IRIS's own iris/__init__.py answers any attribute with an ObjectScript package wrapper
# that fails only when called (intersystems-community/iris-pgwire, spike 045, on 2026.2).
IRIS_OWN_PACKAGE = """
class _PackageWrapper:
    def __init__(self, name):
        self.name = name

    def __getattr__(self, name):
        return _PackageWrapper(self.name + "." + name)

    def __call__(self, *args, **kwargs):
        raise NameError("Cannot call an iris.package wrapper. Given name was: " + self.name)


def __getattr__(name):
    return _PackageWrapper(name)
"""


def _feed(*path_ahead: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STORAGE_CONNECTION_STRING"}
    env["PYTHONPATH"] = os.pathsep.join([*map(str, path_ahead), str(SRC_PYTHON)])
    return subprocess.run(
        [sys.executable, "-"],
        input=KERNEL_PROBE.read_text(),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _lines(run: subprocess.CompletedProcess[str]) -> list[str]:
    return run.stdout.splitlines()


def test_where_import_iris_gives_the_wrapper_every_step_passes() -> None:
    run = _feed()
    assert run.returncode == 0, run.stdout + run.stderr
    lines = _lines(run)
    steps = [line for line in lines if line.startswith("kernel-probe: ") and ":   " not in line]
    assert steps == [
        "kernel-probe: start-up hook",
        "kernel-probe: iris module",
        "kernel-probe: storage DB-API",
        "kernel-probe: ok",
    ]
    # This venv holds iris_ep.pth at its root, where Python never processes it.
    assert "kernel-probe:   iris_ep.pth ran at start: no" in lines[1]
    import iris

    report = "\n".join(lines)
    assert f"kernel-probe:   iris.__file__: {iris.__file__}" in report
    assert "kernel-probe:   sys.path: [" in report
    assert "kernel-probe:   iris.dbapi before any patch: _iris_ep._dbapi_facade._DBAPI" in report
    assert "kernel-probe:   iris.runtime.get().state: " in report
    assert "kernel-probe:   iris_ep.__file__: " in report
    assert (
        "kernel-probe:   iris+emb: a DB-API; iris.dbapi now: _iris_ep._dbapi_facade._DBAPI"
        in report
    )


def _iris_own_folder(tmp_path: Path, with_iris_ep: bool) -> Path:
    """<installdir>/lib/python as a 2026 image holds it: IRIS's own `iris` package and, in
    2026.2 (the same spike), an `iris_ep.py` of its own."""
    own = tmp_path / "lib-python"
    (own / "iris").mkdir(parents=True)
    (own / "iris" / "__init__.py").write_text(IRIS_OWN_PACKAGE)
    if with_iris_ep:
        (own / "iris_ep.py").write_text('"""InterSystems\' own iris_ep: not the wrapper\'s."""\n')
    return own


def test_where_iris_own_modules_come_first_the_storage_step_fails_with_one_line(
    tmp_path: Path,
) -> None:
    own = _iris_own_folder(tmp_path, with_iris_ep=True)
    run = _feed(own)
    assert run.returncode == 1
    lines = _lines(run)
    report = "\n".join(lines)
    assert f"kernel-probe:   iris.__file__: {own / 'iris' / '__init__.py'}" in report
    assert "kernel-probe:   iris.dbapi before any patch: iris._PackageWrapper" in report
    assert "kernel-probe:   iris.runtime.get().state: not provided (NameError: " in report
    assert f"kernel-probe:   iris_ep.__file__: {own / 'iris_ep.py'}" in report
    (error,) = [line for line in lines if line.startswith("kernel-probe-error: ")]
    # sqlalchemy-iris's own import already fails there: its intersystems dialect subclasses
    # iris.irissdk.dbapiCursor, which IRIS's package wrapper answers with a NameError.
    assert error.startswith(
        "kernel-probe-error: storage DB-API: NoDBAPI: no DB-API for the storage URL (iris+emb):"
        " NameError: Cannot call an iris.package wrapper. Given name was: irissdk.dbapiCursor"
    )
    assert (
        f"; the `iris` module here is {own / 'iris' / '__init__.py'} -- likely cause: the IRIS"
        " kernel gives its own `iris` module, without iris-embedded-python-wrapper's dbapi;"
        " fix: install requirements.txt in one pip run into <installdir>/mgr/python"
    ) in error
    assert "kernel-probe: ok" not in lines


def test_iris_own_package_gets_the_facade_when_the_wrappers_iris_ep_is_found_first(
    tmp_path: Path,
) -> None:
    """Importing the wrapper's iris_ep copies its facade onto an `iris` already imported
    (_iris_ep/_runtime_facade.py, sync_public_modules)."""
    own = _iris_own_folder(tmp_path, with_iris_ep=False)
    run = _feed(own)
    assert run.returncode == 0, run.stdout + run.stderr
    report = run.stdout
    assert "kernel-probe:   iris.dbapi before any patch: iris._PackageWrapper" in report
    assert (
        "kernel-probe:   iris+emb: a DB-API; iris.dbapi now: _iris_ep._dbapi_facade._DBAPI"
        in report
    )
