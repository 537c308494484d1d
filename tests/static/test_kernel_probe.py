"""misc/deploy/iris/kernel_probe.py, fed on its input to this Python as build.sh feeds it to
`iris python IRIS`: here, where `import iris` gives the wrapper, and where a folder ahead on
the path holds a stand-in of IRIS's own `iris` package (as <installdir>/lib/python does).

What the build prints on an image whose kernel gives IRIS's own modules is in the second
and third cases.
"""

import os
import subprocess
import sys
from pathlib import Path

from tests.static.repo import IRIS_DEPLOY, SRC_PYTHON

KERNEL_PROBE = IRIS_DEPLOY / "kernel_probe.py"
BUILD_PATH = (SRC_PYTHON, IRIS_DEPLOY)
"""What build.sh puts on the kernel's PYTHONPATH."""

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


def _feed(
    *path_ahead: Path, path: tuple[Path, ...] = BUILD_PATH
) -> subprocess.CompletedProcess[str]:
    """The probe on this Python's input, with src/python and its own folder on PYTHONPATH as
    build.sh gives them (test_build_script.py runs it through build.sh itself)."""
    env = {k: v for k, v in os.environ.items() if k != "STORAGE_CONNECTION_STRING"}
    env["PYTHONPATH"] = os.pathsep.join(map(str, [*path_ahead, *path]))
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
    assert "kernel-probe:   _iris_ep.__file__: " in report
    assert (
        "kernel-probe:   iris+emb: a DB-API; iris.dbapi now: _iris_ep._dbapi_facade._DBAPI"
        in report
    )


def _iris_own_folder(tmp_path: Path, wrapper_importable: bool = True) -> Path:
    """<installdir>/lib/python ahead on the path as a 2026 image holds it (the same spike):
    IRIS's own `iris` package and an `iris_ep.py` of its own. Without the wrapper, the
    folder also shadows the wrapper's modules with ones that cannot be imported, as if
    the kernel did not see <installdir>/mgr/python."""
    own = tmp_path / "lib-python"
    (own / "iris").mkdir(parents=True)
    (own / "iris" / "__init__.py").write_text(IRIS_OWN_PACKAGE)
    (own / "iris_ep.py").write_text('"""InterSystems\' own iris_ep: not the wrapper\'s."""\n')
    if not wrapper_importable:
        missing = 'raise ModuleNotFoundError("No module named {0!r}", name={0!r})\n'
        (own / "_iris_ep.py").write_text(missing.format("_iris_ep"))
        (own / "_iris_ep_sitehook.py").write_text(missing.format("_iris_ep_sitehook"))
    return own


def test_iris_own_package_gets_the_wrappers_facade_even_where_iris_own_iris_ep_comes_first(
    tmp_path: Path,
) -> None:
    """LocalStorageBO's installer imports the wrapper's `_iris_ep`, which copies its facade
    onto the `iris` already imported (_iris_ep/_runtime_facade.py, sync_public_modules)."""
    own = _iris_own_folder(tmp_path)
    run = _feed(own)
    assert run.returncode == 0, run.stdout + run.stderr
    report = run.stdout
    assert f"kernel-probe:   iris.__file__: {own / 'iris' / '__init__.py'}" in report
    assert "kernel-probe:   iris.dbapi before any patch: iris._PackageWrapper" in report
    assert "kernel-probe:   iris.runtime.get().state: not provided (NameError: " in report
    assert f"kernel-probe:   iris_ep.__file__: {own / 'iris_ep.py'}" in report
    assert "kernel-probe:   _iris_ep.__file__: " in report
    assert (
        "kernel-probe:   iris+emb: a DB-API; iris.dbapi now: _iris_ep._dbapi_facade._DBAPI"
        in report
    )


def test_where_the_kernel_sees_no_wrapper_the_storage_step_fails_with_one_line(
    tmp_path: Path,
) -> None:
    own = _iris_own_folder(tmp_path, wrapper_importable=False)
    run = _feed(own)
    assert run.returncode == 1
    lines = _lines(run)
    assert f"kernel-probe:   _iris_ep.__file__: {own / '_iris_ep.py'}" in lines
    (error,) = [line for line in lines if line.startswith("kernel-probe-error: ")]
    # sqlalchemy-iris's own import already fails there: its intersystems dialect subclasses
    # iris.irissdk.dbapiCursor, which IRIS's package wrapper answers with a NameError.
    assert error.startswith(
        "kernel-probe-error: storage DB-API: NoDBAPI: no DB-API for the storage URL (iris+emb):"
        " NameError: Cannot call an iris.package wrapper. Given name was: irissdk.dbapiCursor"
    )
    assert (
        " (the wrapper's installer could not run: ModuleNotFoundError: No module named"
        " '_iris_ep'); the `iris` module here is"
        f" {own / 'iris' / '__init__.py'} -- likely cause: the IRIS kernel gives its own `iris`"
        " module, without iris-embedded-python-wrapper's dbapi; fix: install requirements.txt"
        " in one pip run into <installdir>/mgr/python"
    ) in error
    assert "kernel-probe: ok" not in lines


def test_a_kernel_that_did_not_take_the_build_path_fails_at_start_saying_its_path() -> None:
    run = _feed(path=(SRC_PYTHON,))
    assert run.returncode == 1
    (line,) = _lines(run)
    assert line.startswith(
        "kernel-probe-error: start: ModuleNotFoundError: No module named 'probe_steps'; sys.path: ["
    )
