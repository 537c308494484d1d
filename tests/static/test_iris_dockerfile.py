"""The IRIS Dockerfile, read instruction by instruction: each test names what it finds."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.static.image_files import copy_image_files, modules_within, run_python_in
from tests.static.repo import ROOT, SRC_PYTHON, Instruction, iris_dockerfile, runs, text

OFFICIAL_IMAGE = "containers.intersystems.com/intersystems/iris-community:2026.1"


def _first(keyword: str, prefix: str = "") -> Instruction:
    for instruction in iris_dockerfile():
        if instruction.keyword == keyword and instruction.args.startswith(prefix):
            return instruction
    raise AssertionError(f"no {keyword} {prefix}")


def _position(keyword: str, prefix: str = "") -> int:
    return iris_dockerfile().index(_first(keyword, prefix))


def _env() -> dict[str, str]:
    pairs = re.findall(r"(\w+)=(\S+)", _first("ENV").args)
    return dict(pairs)


def test_image_argument_defaults_to_the_official_2026_1_community_image() -> None:
    image = _first("ARG", "IMAGE=")
    assert image.args == f"IMAGE={OFFICIAL_IMAGE}"
    assert _first("FROM").args == "${IMAGE}"


def test_image_comment_names_the_licence_expiry_its_source_and_both_alternatives() -> None:
    comments = " ".join(_first("ARG", "IMAGE=").comments)
    assert "licence expires" in comments
    assert "Invalid Community Edition license" in comments
    assert "docs/learnings/community-license-expiry-not-core-limit.md" in comments
    assert ":latest-em" in comments
    assert "intersystemsdc/iris-community:<tag>" in comments


def test_shell_is_bash_with_pipefail() -> None:
    assert _first("SHELL").args == '["/bin/bash", "-o", "pipefail", "-c"]'


def test_requirements_are_copied_before_pip_installs_them() -> None:
    copy = _position("COPY", "--chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} requirements")
    install = _position("RUN", "python3 -m pip install --upgrade --target")
    assert copy < install


def test_copy_sources_exist_in_the_repository() -> None:
    sources = {i.args.split()[-2] for i in iris_dockerfile() if i.keyword == "COPY"}
    assert {"src/python/", "misc/deploy/iris/", "misc/deploy/gunicorn/", "iris.script"} <= sources
    for path in (
        "src/python",
        "misc/deploy/iris",
        "misc/deploy/gunicorn",
        "merge.cpf",
        "iris.script",
    ):
        assert (ROOT / path).exists(), path


def test_dockerignore_keeps_every_copied_path() -> None:
    ignored = {line.strip() for line in text(".dockerignore").splitlines()}
    for path in (
        "src",
        "src/python",
        "misc",
        "misc/deploy/iris",
        "misc/deploy/gunicorn",
        "merge.cpf",
    ):
        assert path not in ignored, path


def test_the_build_step_is_the_build_script_after_every_setting_argument() -> None:
    build = _position("RUN", "bash /irisdev/app/misc/deploy/iris/build.sh")
    for name in (
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_TOPIC",
        "KAFKA_DLQ_TOPIC",
        "KAFKA_GROUP_ID",
        "STORAGE_CONNECTION_STRING",
    ):
        assert _position("ARG", f"{name}=") < build, name


def test_env_sets_the_embedded_python_login_and_library_path() -> None:
    env = _env()
    assert env["IRISUSERNAME"] == "SuperUser"
    assert env["IRISPASSWORD"] == "${IRIS_PASSWORD}"
    assert env["IRISNAMESPACE"] == "IRISAPP"
    assert env["LD_LIBRARY_PATH"].startswith("${ISC_PACKAGE_INSTALLDIR}/bin")
    assert env["PATH"].startswith("${ISC_PACKAGE_INSTALLDIR}/mgr/python/bin:")
    assert env["PIP_BREAK_SYSTEM_PACKAGES"] == "1"


def test_packages_go_where_the_kernels_python_looks_with_scripts_on_the_path() -> None:
    """InterSystems' documented folder for embedded Python packages (GEPYTHON_loadlib)."""
    (pip,) = [r for r in runs(iris_dockerfile()) if "pip install" in r]
    assert pip == (
        'python3 -m pip install --upgrade --target "${ISC_PACKAGE_INSTALLDIR}/mgr/python"'
        " -r requirements.txt"
    )
    assert _env()["PYTHONPATH"] == "${ISC_PACKAGE_INSTALLDIR}/mgr/python"
    comments = " ".join(_first("RUN", "python3 -m pip").comments)
    assert "KEY=GEPYTHON_loadlib" in comments
    assert "docs/iris-evidence.md#python-in-iris" in comments


def test_jre_step_installs_only_when_java_is_missing_and_never_fails_the_build() -> None:
    (java,) = [r for r in runs(iris_dockerfile()) if "openjdk" in r]
    assert "if ! command -v java" in java
    assert '|| echo "WARNING: the JRE could not be installed' in java
    assert "/opt/java-home" in java
    assert _env()["JAVA_HOME"] == "/opt/java-home"


def test_last_user_is_the_iris_owner() -> None:
    users = [i.args for i in iris_dockerfile() if i.keyword == "USER"]
    assert users[-1] == "${ISC_PACKAGE_MGRUSER}"


def test_entrypoint_is_the_project_script_under_bash_without_tini() -> None:
    assert _first("ENTRYPOINT").args == (
        '["/bin/bash", "/irisdev/app/misc/deploy/iris/entrypoint.sh"]'
    )
    assert _first("CMD").args == '["--check-caps", "false"]'


def test_healthcheck_runs_the_production_check() -> None:
    check = _first("HEALTHCHECK").args
    assert check.endswith(
        'CMD ["/bin/bash", "/irisdev/app/misc/deploy/iris/production-running.sh"]'
    )


def test_no_create_table_in_the_image_build() -> None:
    for path in (
        "Dockerfile",
        "iris.script",
        "misc/deploy/iris/build.sh",
        "misc/deploy/iris/check-merge.script",
    ):
        assert "CREATE TABLE" not in text(path).upper(), path


@pytest.fixture(scope="module")
def iris_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image's /irisdev/app: what the Dockerfile COPYs, less what .dockerignore leaves out."""
    return copy_image_files("Dockerfile", tmp_path_factory.mktemp("irisdev-app"))


def test_the_iris_image_carries_the_production_but_not_the_local_mode(iris_image: Path) -> None:
    package = iris_image / "src/python/kafka_demo"
    assert (SRC_PYTHON / "kafka_demo/local_mode/server.py").is_file()
    assert not (package / "local_mode").exists()
    for module in ("bs.py", "bp.py", "bo.py", "msg.py", "rest/iris/app.py"):
        assert (package / module).is_file(), module


# What the image runs in Python: settings.py and app.py imported as the build's probe imports
# them (iop --migrate, IRIS WSGI, gunicorn), the route store's imports (build.sh) and the
# kernel probe's (kafka_demo.storage_driver); then every project module that got loaded.
IMAGE_IMPORTS = """
import json, sys
from pathlib import Path
src, deploy = Path("src/python").resolve(), Path("misc/deploy/iris").resolve()
sys.path[:0] = [str(src), str(deploy)]
import probe
probe.import_entry_modules(src)
import route_store, kafka_demo.storage_driver
loaded = sorted(n for n, m in sys.modules.items() if m and n.split(".")[0] == "kafka_demo")
print(json.dumps({"package": sys.modules["kafka_demo"].__file__, "loaded": loaded}))
"""


def test_what_iris_runs_imports_from_the_image_alone_without_the_local_mode(
    iris_image: Path,
) -> None:
    loaded = set(run_python_in(iris_image, IMAGE_IMPORTS)["loaded"])

    assert not modules_within(loaded, "kafka_demo.local_mode")
    assert {
        "kafka_demo.bs",
        "kafka_demo.bp",
        "kafka_demo.bo",
        "kafka_demo.kafka_io.iris_adapter",
        "kafka_demo.rest.iris.app",
        "kafka_demo.rest.iris.director_gateway",
        "kafka_demo.storage_driver",
    } <= loaded
    assert "kafka_demo.rest.standalone.native_gateway" not in loaded


def test_iop_migrate_registers_the_production_from_the_image_alone(iris_image: Path) -> None:
    """The build's `iop --migrate` reads the image's settings.py and the sources beside it."""
    iop = Path(sys.executable).with_name("iop")
    settings = iris_image / "src/python/settings.py"
    dry_run = [str(iop), "--migrate", str(settings), "--dry-run", "--strict-production-validation"]

    result = subprocess.run(dry_run, cwd=iris_image, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Python.Production" in result.stdout
    assert "VALIDATION:\n  none" in result.stdout
