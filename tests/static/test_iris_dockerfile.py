"""The IRIS Dockerfile: one test per build step, named for what breaks without it."""

import re

from tests.static.repo import (
    ROOT,
    Instruction,
    build_run,
    chain,
    index_of,
    iris_dockerfile,
    runs,
    text,
)


def _first(keyword: str, prefix: str = "") -> Instruction:
    for instruction in iris_dockerfile():
        if instruction.keyword == keyword and instruction.args.startswith(prefix):
            return instruction
    raise AssertionError(f"no {keyword} {prefix}")


def _position(keyword: str, prefix: str = "") -> int:
    return iris_dockerfile().index(_first(keyword, prefix))


def _build_steps() -> list[str]:
    return chain(build_run(iris_dockerfile()))


def _env() -> dict[str, str]:
    pairs = re.findall(r"(\w+)=(\S+)", _first("ENV").args)
    return dict(pairs)


def test_without_a_pinned_image_argument_the_build_drifts_between_iris_versions() -> None:
    assert _first("ARG", "IMAGE=").args.startswith("IMAGE=intersystemsdc/iris-community:2")
    assert _first("FROM").args == "${IMAGE}"


def test_without_pipefail_a_failing_command_in_a_pipe_would_pass_the_build() -> None:
    assert _first("SHELL").args == '["/bin/bash", "-o", "pipefail", "-c"]'


def test_without_requirements_iop_and_the_drivers_are_missing_in_iris_python() -> None:
    copy = _position("COPY", "--chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} requirements")
    install = _position("RUN", "python3 -m pip install -r requirements.txt")
    assert copy < install


def test_without_the_source_copy_migrate_finds_no_settings_py() -> None:
    sources = {i.args.split()[-2] for i in iris_dockerfile() if i.keyword == "COPY"}
    assert {"src/python/", "misc/iris/", "misc/gunicorn/", "iris.script"} <= sources
    for path in ("src/python", "misc/iris", "misc/gunicorn", "merge.cpf", "iris.script"):
        assert (ROOT / path).exists(), path


def test_without_the_dockerignore_exceptions_the_build_context_lacks_copied_files() -> None:
    ignored = {line.strip() for line in text(".dockerignore").splitlines()}
    for path in ("src", "src/python", "misc", "misc/iris", "misc/gunicorn", "merge.cpf"):
        assert path not in ignored, path


def test_without_iris_started_no_build_step_can_reach_iris() -> None:
    assert _build_steps()[0] == "iris start IRIS"


def test_without_the_merge_there_is_no_irisapp_namespace_nor_callin_for_iop() -> None:
    steps = _build_steps()
    merge = index_of(steps, r"^iris merge IRIS /irisdev/app/merge\.cpf$")
    assert merge < index_of(steps, r"iop --init")


def test_without_iop_init_migrate_cannot_register_components() -> None:
    steps = _build_steps()
    assert index_of(steps, r"python3 -m iop --init$") < index_of(steps, r"iop --migrate")


def test_without_migrate_there_is_no_production_to_run() -> None:
    steps = _build_steps()
    migrate = steps[index_of(steps, r"iop --migrate")]
    assert "/irisdev/app/src/python/settings.py" in migrate
    assert "--strict-production-validation" in migrate


def test_without_iris_script_the_production_never_auto_starts() -> None:
    steps = _build_steps()
    script = index_of(steps, r"^iris session IRIS < /irisdev/app/iris\.script")
    assert index_of(steps, r"iop --migrate") < script


def test_a_failing_step_fails_the_build() -> None:
    step = build_run(iris_dockerfile())
    assert ";" not in step and "||" not in step, "every command must be joined with &&"
    steps = _build_steps()
    assert "! grep -E 'ERROR #|<[A-Z]+>' /tmp/iris-script.log" in steps
    assert "grep -q 'iris.script: done' /tmp/iris-script.log" in steps
    assert 'write "iris.script: ","do"_"ne",!' in text("iris.script")


def test_without_iris_stopped_cleanly_the_image_keeps_a_half_shut_instance() -> None:
    steps = _build_steps()
    assert index_of(steps, r"^iris stop IRIS quietly$") == len(steps) - 2


def test_without_migrate_time_arguments_settings_cannot_be_changed() -> None:
    build = _position("RUN", "iris start IRIS")
    for name in (
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_TOPIC",
        "KAFKA_DLQ_TOPIC",
        "KAFKA_GROUP_ID",
        "STORAGE_CONNECTION_STRING",
    ):
        assert _position("ARG", f"{name}=") < build, name


def test_without_the_embedded_login_environment_python3_cannot_reach_iris() -> None:
    env = _env()
    assert env["IRISUSERNAME"] == "SuperUser"
    assert env["IRISPASSWORD"] == "${IRIS_PASSWORD}"
    assert env["IRISNAMESPACE"] == "IRISAPP"
    assert env["LD_LIBRARY_PATH"].startswith("${ISC_PACKAGE_INSTALLDIR}/bin")
    assert env["PATH"].startswith("/home/irisowner/.local/bin:")
    assert env["PIP_BREAK_SYSTEM_PACKAGES"] == "1"


def test_without_a_java_runtime_the_iris_kafka_adapter_cannot_start() -> None:
    java = [r for r in runs(iris_dockerfile()) if "openjdk" in r]
    assert java and "if ! command -v java" in java[0]
    assert "/opt/java-home" in java[0]
    assert _env()["JAVA_HOME"] == "/opt/java-home"


def test_without_dropping_root_iris_would_run_as_the_wrong_os_user() -> None:
    users = [i.args for i in iris_dockerfile() if i.keyword == "USER"]
    assert users[-1] == "${ISC_PACKAGE_MGRUSER}"


def test_without_the_entrypoint_gunicorn_on_port_5000_never_starts() -> None:
    assert _first("ENTRYPOINT").args == (
        '["/tini", "--", "/bin/bash", "/irisdev/app/misc/iris/entrypoint.sh"]'
    )
    assert _first("CMD").args == '["--check-caps", "false"]'


def test_without_the_image_health_check_plain_docker_run_reports_no_production_state() -> None:
    check = _first("HEALTHCHECK").args
    assert check.endswith('CMD ["/bin/bash", "/irisdev/app/misc/iris/production-running.sh"]')


def test_the_product_table_is_left_to_the_code() -> None:
    assert "CREATE TABLE" not in text("Dockerfile").upper()
    assert "CREATE TABLE" not in text("iris.script").upper()
