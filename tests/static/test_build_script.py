"""misc/deploy/iris/build.sh, run against stand-ins for `iris` and `python3`.

The stand-ins answer as IRIS and IoP would; each test sets one of them to fail and
checks the build's verdict: failed with one ERROR line, or passed with a WARNING line
that is also kept for the doctor.
"""

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.static.repo import ROOT, iris_dockerfile
from tests.static.standins import Run, calls, install, run_script

BUILD = ROOT / "misc/deploy/iris/build.sh"

# `iris session` answers according to the script it is fed (recognised by its marker).
FAKE_IRIS = r"""
echo "iris $*" >> "$FAKE_LOG"
case "$1" in
    start) printf '%b' "${FAKE_START_OUTPUT:-Starting Control Process\n}"
        [ -n "${FAKE_MESSAGES_LINE:-}" ] &&
            printf '%s\n' "$FAKE_MESSAGES_LINE" >> "$ISC_PACKAGE_INSTALLDIR/mgr/messages.log"
        exit "${FAKE_START_STATUS:-0}" ;;
    merge) exit "${FAKE_MERGE_STATUS:-0}" ;;
    stop) exit "${FAKE_STOP_STATUS:-0}" ;;
    session)
        script="$(cat)"
        case "$script" in
            *check-merge:*) echo "session check-merge" >> "$FAKE_LOG"
                printf '%b' "${FAKE_MERGE_CHECK:-%SYS>\ncheck-merge: done\n}"
                exit "${FAKE_MERGE_CHECK_STATUS:-0}" ;;
            *iris.script:*) echo "session iris.script" >> "$FAKE_LOG"
                printf '%b' "${FAKE_IRIS_SCRIPT:-IRISAPP>\niris.script: done\n}"
                exit "${FAKE_IRIS_SCRIPT_STATUS:-0}" ;;
            *licence-expiry*) echo "session licence" >> "$FAKE_LOG"
                printf '%b' "${FAKE_LICENCE-licence-expiry: 2027-04-23 137\n}"
                exit 0 ;;
            *java-server:*) echo "session java" >> "$FAKE_LOG"
                printf '%b' "${FAKE_JAVA:-java-server: ok\n}"
                exit 0 ;;
        esac
        exit 9 ;;
    python)
        # The kernel's Python, fed misc/deploy/iris/kernel_probe.py; it answers as the probe
        # does when every step passes, unless FAKE_KERNEL_OUTPUT says otherwise. With
        # FAKE_KERNEL_PYTHON, that Python runs what it was fed, on the PYTHONPATH build.sh gave
        # (without the stand-in install folder, which has no IRIS for the wrapper to load).
        script="$(cat)"
        [[ "$script" == *"kernel-probe"* ]] || exit 8
        echo "kernel-probe PYTHONPATH=${PYTHONPATH%%:*}" >> "$FAKE_LOG"
        if [ -n "${FAKE_KERNEL_PYTHON:-}" ]; then
            printf '%s\n' "$script" | env -u ISC_PACKAGE_INSTALLDIR "$FAKE_KERNEL_PYTHON" -
            exit
        fi
        passed='kernel-probe: start-up hook\nkernel-probe: iris module\n'
        passed+='kernel-probe: storage DB-API\nkernel-probe: ok\n'
        printf '%b' "${FAKE_KERNEL_OUTPUT:-$passed}"
        exit "${FAKE_KERNEL_STATUS:-0}" ;;
esac
exit 2
"""

FAKE_PYTHON3 = r"""
if [ "$1" = "-c" ]; then
    echo "python3 -c IRISPASSWORD=$IRISPASSWORD" >> "$FAKE_LOG"
    [ -n "$FAKE_CALLIN_FAILS" ] && { echo "IRIS_ACCESSDENIED" >&2; exit 1; }
    echo "IRIS 2026.1"; exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "iop" ]; then
    shift 2
    echo "iop $* IRISPASSWORD=$IRISPASSWORD" >> "$FAKE_LOG"
    if [ -n "$FAKE_IOP_FAILS" ] && [[ "$*" =~ $FAKE_IOP_FAILS ]]; then
        default_error="Production validation failed: EnsLib.Kafka.Service.adapter.Topic is unknown"
        echo "${FAKE_IOP_ERROR:-$default_error}" >&2
        exit 1
    fi
    [[ "$*" == *--test* ]] && echo '{"route": "sql", "id": 1}'
    exit 0
fi
# misc/deploy/iris/route_store.py: the log mark, the item's logged error, the read-back.
if [[ "$1" == */route_store.py ]]; then
    shift
    (IFS='|'; echo "route_store $* PYTHONPATH=${PYTHONPATH%%:*}") >> "$FAKE_LOG"
    case "$1" in
        mark) echo 41 ;;
        logged-error) printf '%s\n' "${FAKE_LOGGED_ERROR:-}" ;;
        read-back) printf '%b' "${FAKE_READ_BACK:-route-store: ok\n}"
            exit "${FAKE_READ_BACK_STATUS:-0}" ;;
    esac
    exit 0
fi
exit 3
"""

# irispython runs misc/deploy/iris/probe.py: by default it answers as the probe does when every
# step passes; FAKE_PROBE_OUTPUT and FAKE_PROBE_STATUS make it fail or crash.
FAKE_IRISPYTHON = r"""
echo "irispython ${1##*/} ${2#"$APP_DIR"/} IRISPASSWORD=$IRISPASSWORD" >> "$FAKE_LOG"
passed='probe: imports\nprobe: iris module\nprobe: storage URL\nprobe: User.product\nprobe: ok\n'
printf '%b' "${FAKE_PROBE_OUTPUT:-$passed}"
exit "${FAKE_PROBE_STATUS:-0}"
"""


ROUTES = {
    "sql": "kafka_demo.msg.ProductSQLMessage",
    "iris": "kafka_demo.msg.ProductIRISMessage",
    "sqlalchemy": "kafka_demo.msg.ProductSQLAlchemyMessage",
}
NAMES = [f"image build, {route} route" for route in ROUTES]
ROUTE_STORE = f"PYTHONPATH={ROOT}/src/python"
THREE_ROUTE_STORE = [
    f"route_store mark {ROUTE_STORE}",
    "iop --force-local --start Python.Production --detach IRISPASSWORD=SYS",
    *(
        f"iop --force-local --test Python.LocalStorageBO --classname {classname}"
        f' --body {{"name": "image build, {route} route", "price": "0.01"}} IRISPASSWORD=SYS'
        for route, classname in ROUTES.items()
    ),
    f"route_store read-back|{'|'.join(NAMES)} {ROUTE_STORE}",
    "iop --force-local --stop IRISPASSWORD=SYS",
]


def _build(tmp_path: Path, iris: str = FAKE_IRIS, **env: str) -> tuple[Run, list[str], Path]:
    bin_dir = tmp_path / "bin"
    install(bin_dir, "iris", iris)
    install(bin_dir, "python3", FAKE_PYTHON3)
    install(bin_dir, "irispython", FAKE_IRISPYTHON)
    java_home = tmp_path / "java-home"
    install(java_home / "bin", "java", "exit 0\n")
    log, warnings = tmp_path / "calls.log", tmp_path / "build-warnings.log"
    install_dir = tmp_path / "irissys"
    (install_dir / "mgr").mkdir(parents=True, exist_ok=True)
    values = {
        "FAKE_LOG": str(log),
        "APP_DIR": str(ROOT),
        "ISC_PACKAGE_INSTALLDIR": str(install_dir),
        "JAVA_HOME": str(java_home),
        "BUILD_WARNINGS": str(warnings),
        "IRISPASSWORD": "final-secret",
        **env,
    }
    return run_script(BUILD, bin_dir, values), calls(log), warnings


def _warnings(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _errors(run: Run) -> list[str]:
    """The build's own ERROR lines: on stderr (what a session or probe printed is on stdout)."""
    return [line for line in run.stderr.splitlines() if line.startswith("ERROR: ")]


def test_a_clean_build_runs_iops_ci_sequence_and_warns_of_nothing(tmp_path: Path) -> None:
    run, steps, warnings = _build(tmp_path)
    assert run.status == 0, run.output
    settings = f"{ROOT}/src/python/settings.py"
    assert steps == [
        "iris start IRIS",
        f"iris merge IRIS {ROOT}/merge.cpf",
        "iris session IRIS -U %SYS",
        "session check-merge",
        "python3 -c IRISPASSWORD=SYS",
        "iop --force-local --init IRISPASSWORD=SYS",
        f"iop --force-local --migrate {settings} IRISPASSWORD=SYS",
        "iop --force-local --default Python.Production IRISPASSWORD=SYS",
        "irispython probe.py src/python IRISPASSWORD=SYS",
        "iris python IRIS",
        f"kernel-probe PYTHONPATH={ROOT}/src/python",
        *THREE_ROUTE_STORE,
        f"iop --force-local --migrate {settings} --dry-run --strict-production-validation"
        " IRISPASSWORD=SYS",
        "iris session IRIS -U %SYS",
        "session iris.script",
        "iris session IRIS -U %SYS",
        "session licence",
        "iris session IRIS -U %SYS",
        "session java",
        "iris stop IRIS quietly",
    ]
    assert (
        "build: licence: the instance's key expires 2027-04-23, 137 day(s) after this build"
        in run.stdout.splitlines()
    )
    for route in ROUTES:
        assert f"build: route {route}: stored by Python.LocalStorageBO" in run.stdout.splitlines()
    assert "WARNING" not in run.output
    assert _warnings(warnings) == []
    assert run.stdout.splitlines()[-1] == "build: done, 0 warning(s)"


def test_iris_script_sees_the_final_password_while_iop_logs_in_with_the_bootstrap_one(
    tmp_path: Path,
) -> None:
    # iris.script reads IRISPASSWORD to set the final password; the iop steps log in
    # with merge.cpf's SYS before that.
    telling = FAKE_IRIS.replace(
        'script="$(cat)"', 'script="$(cat)"; echo "pw=$IRISPASSWORD" >> "$FAKE_LOG"'
    )
    run, steps, _ = _build(tmp_path, iris=telling)
    assert run.status == 0, run.output
    assert steps[steps.index("session iris.script") - 1] == "pw=final-secret"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FAKE_START_STATUS": "1"}, "IRIS did not start"),
        ({"FAKE_MERGE_STATUS": "1"}, "iris merge of merge.cpf failed"),
        ({"FAKE_CALLIN_FAILS": "1"}, "python3 cannot log in to IRIS through callin"),
        ({"FAKE_IOP_FAILS": "--init"}, "iop --init could not load or compile"),
        ({"FAKE_IOP_FAILS": "--migrate /"}, "iop --migrate could not register"),
        ({"FAKE_IOP_FAILS": "--default"}, "iop --default Python.Production failed"),
    ],
    ids=["start", "merge", "callin", "init", "migrate", "default"],
)
def test_a_failed_required_step_fails_the_build_with_one_error(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    run, steps, _ = _build(tmp_path, **env)
    assert run.status == 1
    (error,) = _errors(run)
    assert message in error
    assert steps[-1] == "iris stop IRIS quietly", "IRIS must be stopped after a failure too"


NO_DBAPI_LINE = (
    "no DB-API for the storage URL (iris+emb): it got iris._PackageWrapper, not a DB-API"
    " module; the `iris` module here is /usr/irissys/lib/python/iris/__init__.py -- likely"
    " cause: the IRIS kernel gives its own `iris` module, without iris-embedded-python-wrapper's"
    " dbapi; fix: install requirements.txt in one pip run into <installdir>/mgr/python"
)


@dataclass(frozen=True)
class Probe:
    """One of the build's Python probes: the prefix of its lines, the stand-in variables that
    give its output and status, what the ERROR line calls it, the process that runs it."""

    prefix: str
    fake: str
    called: str
    process: str

    def answers(self, lines: list[str], status: str) -> dict[str, str]:
        output = "".join(f"{line}\n" for line in lines)
        return {f"{self.fake}_OUTPUT": output, f"{self.fake}_STATUS": status}


PROBES = [
    pytest.param(
        Probe("probe", "FAKE_PROBE", "embedded-Python probe", "irispython"), id="irispython"
    ),
    pytest.param(Probe("kernel-probe", "FAKE_KERNEL", "kernel probe", "iris python"), id="kernel"),
]


@pytest.mark.parametrize("probe", PROBES)
def test_a_failed_probe_step_fails_the_build_before_the_production_starts(
    tmp_path: Path, probe: Probe
) -> None:
    finding = f"{probe.prefix}:   iris_ep.pth ran at start: no"
    failed = f"{probe.prefix}-error: storage DB-API: NoDBAPI: {NO_DBAPI_LINE}"
    began = [f"{probe.prefix}: iris module", finding, f"{probe.prefix}: storage DB-API"]
    run, steps, _ = _build(tmp_path, **probe.answers([*began, "Traceback (most", failed], "1"))
    assert run.status == 1
    assert _errors(run) == [f"ERROR: {probe.called}, step storage DB-API: NoDBAPI: {NO_DBAPI_LINE}"]
    assert finding in run.stdout.splitlines(), "the log keeps what the probe found"
    assert not any("--start" in step for step in steps)
    assert steps[-1] == "iris stop IRIS quietly"


@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize(
    ("status", "ending"),
    [
        ("139", "{process} ended with status 139 (signal 11: a crash of embedded Python)"),
        ("0", "the probe stopped before its last step"),
    ],
    ids=["crash", "stopped-early"],
)
def test_a_probe_that_ends_without_its_ok_line_is_named_by_the_last_step_it_began(
    tmp_path: Path, probe: Probe, status: str, ending: str
) -> None:
    began = [f"{probe.prefix}: imports", f"{probe.prefix}: iris module"]
    run, steps, _ = _build(tmp_path, **probe.answers(began, status))
    assert run.status == 1
    reason = ending.format(process=probe.process)
    assert _errors(run) == [f"ERROR: {probe.called}, step iris module: {reason}"]
    assert steps[-1] == "iris stop IRIS quietly"


def test_the_kernel_probe_runs_on_the_python_path_the_build_gives_it(tmp_path: Path) -> None:
    """The kernel probe, fed as build.sh feeds it to a Python where `import iris` gives the
    wrapper, finds its step loop (probe_steps.py) and the package on that PYTHONPATH."""
    run, _, _ = _build(
        tmp_path,
        FAKE_KERNEL_PYTHON=sys.executable,
        STORAGE_CONNECTION_STRING="iris+emb:///IRISAPP",
    )
    assert run.status == 0, run.output
    lines = run.stdout.splitlines()
    assert "kernel-probe: ok" in lines, "every step passed (test_kernel_probe.py shows them)"
    (path,) = [line for line in lines if line.startswith("kernel-probe:   sys.path: ")]
    assert f"'{ROOT}/src/python', '{ROOT}/misc/deploy/iris'" in path


LOGGED = "ERROR <Ens>ErrException: ERROR #7201: Datatype value too long"


@pytest.mark.parametrize(
    ("failing", "iop_said", "logged", "route"),
    [
        ("ProductIRISMessage", "Error: ERROR #5005: the test request failed", LOGGED, "iris"),
        ("ProductSQLMessage", "Error: Python.LocalStorageBO is not running", "", "sql"),
        ("--detach|ProductSQLMessage", "Error: ERROR #6003: no start", NO_DBAPI_LINE, "sql"),
        ("--detach|ProductSQLMessage", "Error: ERROR #5001: production start failed", "", "sql"),
    ],
    ids=["the-error-iris-logged", "what-iop-said", "the-bo-logged-on-init", "the-failed-start"],
)
def test_a_route_that_fails_ends_the_build_naming_the_route_and_its_cause(
    tmp_path: Path, failing: str, iop_said: str, logged: str, route: str
) -> None:
    """The cause: what IRIS logged for the item since the build's mark, else what iop said."""
    env = {"FAKE_IOP_FAILS": failing, "FAKE_IOP_ERROR": iop_said, "FAKE_LOGGED_ERROR": logged}
    run, steps, _ = _build(tmp_path, **env)
    assert run.status == 1
    cause = f"Python.LocalStorageBO logged: {logged}" if logged else iop_said
    assert _errors(run) == [f"ERROR: three-route store, route {route}: {cause}"]
    assert f"route_store logged-error|41 {ROUTE_STORE}" in steps
    assert not any(step.startswith("route_store read-back") for step in steps)
    assert not any("ProductSQLAlchemyMessage" in step for step in steps), "it stops at the first"
    assert steps[-1] == "iris stop IRIS quietly"


def test_a_failed_start_with_kafka_absent_is_said_but_the_routes_decide(tmp_path: Path) -> None:
    run, steps, warnings = _build(
        tmp_path,
        FAKE_IOP_FAILS="--start",
        FAKE_IOP_ERROR="Error: ERROR #5001: EnsLib.Kafka.Service failed to start",
    )
    assert run.status == 0, run.output
    assert (
        "build: iop --start reported: Error: ERROR #5001: EnsLib.Kafka.Service failed to start"
        " (Kafka is absent during the build)"
    ) in run.stdout.splitlines()
    assert "ERROR" not in run.stderr
    assert _warnings(warnings) == []
    assert steps[-1] == "iris stop IRIS quietly"


def test_rows_that_do_not_read_back_fail_the_build_naming_the_route(tmp_path: Path) -> None:
    answer = (
        "route-store: 'image build, sql route': read back by SQL and deleted\n"
        "route-store-error: read-back: RouteStoreFailed: 'image build, iris route': 0 row(s)"
        " in SQLUser.product, not 1\n"
    )
    run, steps, _ = _build(tmp_path, FAKE_READ_BACK=answer, FAKE_READ_BACK_STATUS="1")
    assert run.status == 1
    assert _errors(run) == [
        "ERROR: three-route store, step read back: read-back: RouteStoreFailed: 'image build,"
        " iris route': 0 row(s) in SQLUser.product, not 1"
    ]
    assert not any(step.endswith("--stop IRISPASSWORD=SYS") for step in steps)
    assert steps[-1] == "iris stop IRIS quietly"


def test_a_production_that_does_not_stop_fails_the_build(tmp_path: Path) -> None:
    run, steps, _ = _build(
        tmp_path, FAKE_IOP_FAILS="--stop", FAKE_IOP_ERROR="Error: ERROR #6000: stop timed out"
    )
    assert run.status == 1
    assert _errors(run) == [
        "ERROR: three-route store, step production stop: Error: ERROR #6000: stop timed out"
    ]
    assert not any("iris.script" in step for step in steps)


# What IRIS printed when a Community image's licence had expired (iris-devtester,
# docs/learnings/community-license-expiry-not-core-limit.md).
LICENCE_LINE = "Error: Invalid Community Edition license, may have exceeded core limit."
LICENCE_ERROR = (
    'ERROR: IRIS refused to start ("Invalid Community Edition license"): the Community'
    " image's bundled licence has likely expired"
)


def _licence_error(run: Run) -> str:
    (error,) = _errors(run)
    assert error.startswith(LICENCE_ERROR), error
    assert "more than 20 CPU cores" in error
    assert (
        "fix: set IRIS_IMAGE in .env to a current tag, for instance"
        " containers.intersystems.com/intersystems/iris-community:latest-em, and rebuild:"
        " docker compose build --pull iris"
    ) in error
    return error


def test_a_rejected_licence_in_the_start_output_fails_with_the_licence_error(
    tmp_path: Path,
) -> None:
    banner = "This copy of InterSystems IRIS has been licensed for use exclusively by:"
    output = f"{banner}\n{LICENCE_LINE}\n"
    run, steps, _ = _build(tmp_path, FAKE_START_OUTPUT=output, FAKE_START_STATUS="1")
    assert run.status == 1
    _licence_error(run)
    assert LICENCE_LINE in run.stdout, "the build log keeps what iris start printed"
    assert steps == ["iris start IRIS", "iris stop IRIS quietly"]


SHUTDOWN_LOG = "".join(f"\n11/28/26-08:00:02:000 (42) 0 shutting down {n}" for n in range(2000))


@pytest.mark.parametrize("after", ["", SHUTDOWN_LOG], ids=["last-line", "then-a-long-shutdown"])
def test_a_rejected_licence_in_messages_log_fails_even_when_iris_start_succeeds(
    tmp_path: Path, after: str
) -> None:
    """However much IRIS logged after the line: a reader quitting at the first match must not
    make the pipeline fail (pipefail) and hide it."""
    run, steps, _ = _build(
        tmp_path, FAKE_MESSAGES_LINE=f"11/28/26-08:00:01:000 (42) 3 {LICENCE_LINE}{after}"
    )
    assert run.status == 1
    _licence_error(run)
    assert steps == ["iris start IRIS", "iris stop IRIS quietly"], "nothing runs on a dead IRIS"


def test_a_licence_line_from_before_this_start_is_not_blamed(tmp_path: Path) -> None:
    messages = tmp_path / "irissys/mgr/messages.log"
    messages.parent.mkdir(parents=True)
    messages.write_text(f"an earlier start: {LICENCE_LINE}\n")
    run, _, _ = _build(tmp_path, FAKE_MERGE_STATUS="1")
    assert run.status == 1
    assert _errors(run) == ["ERROR: iris merge of merge.cpf failed"]


def test_a_merge_result_missing_fails_with_the_checks_own_message(tmp_path: Path) -> None:
    answer = (
        "ERROR: namespace IRISAPP does not exist (merge.cpf CreateNamespace)\n"
        "check-merge: 1 result(s) of merge.cpf missing\n"
    )
    run, steps, _ = _build(tmp_path, FAKE_MERGE_CHECK=answer, FAKE_MERGE_CHECK_STATUS="1")
    assert run.status == 1
    assert (
        "ERROR: merge.cpf check: namespace IRISAPP does not exist (merge.cpf CreateNamespace)"
        in run.stderr
    )
    assert not any(step.startswith("iop") for step in steps), "iop must not run without IRISAPP"


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        *(
            pytest.param(f"IRISAPP>\n{name}\niris.script: done\n", "0", name, id=label)
            for name, label in (
                ("<CLASS DOES NOT EXIST> *Ens.Director", "error-name-with-spaces"),
                ("<METHOD DOES NOT EXIST>", "error-name-alone"),
                ("<UNDEFINED>", "error-name-without-spaces"),
            )
        ),
        pytest.param(
            "ERROR #5002: ObjectScript error\niris.script: done\n",
            "0",
            "ERROR #5002: ObjectScript error",
            id="status-text",
        ),
        pytest.param(
            "IRISAPP>\n", "0", "the IRIS session stopped before its last line", id="no-marker"
        ),
        pytest.param(
            "ERROR: class IOP.Director is missing: iop --init did not compile IoP's classes\n",
            "1",
            "class IOP.Director is missing: iop --init did not compile IoP's classes",
            id="failure-status",
        ),
    ],
)
def test_iris_script_fails_the_build_on_an_iris_error_a_missing_marker_or_a_failure_status(
    tmp_path: Path, answer: str, status: str, error: str
) -> None:
    # The session may exit 0 and even print the marker: then only the error text tells.
    run, _, _ = _build(tmp_path, FAKE_IRIS_SCRIPT=answer, FAKE_IRIS_SCRIPT_STATUS=status)
    assert run.status == 1
    assert _errors(run) == [f"ERROR: iris.script: {error}"]


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        pytest.param(
            {"FAKE_IOP_FAILS": "--strict-production-validation"},
            "WARNING: strict production validation reported setting names IRIS does not know:"
            " Production validation failed: EnsLib.Kafka.Service.adapter.Topic is unknown",
            id="unknown-setting-names",
        ),
        pytest.param(
            {"FAKE_LICENCE": "%SYS>\nlicence-expiry: 2027-04-23 12\n"},
            "WARNING: the instance's licence key expires 2027-04-23, 12 day(s) after this build:"
            " IRIS will not start after it; set IRIS_IMAGE in .env to a current tag and rebuild",
            id="licence-ends-within-30-days",
        ),
        pytest.param(
            {"FAKE_LICENCE": "%SYS>\n<METHOD DOES NOT EXIST>\n"},
            "WARNING: the licence key's expiry could not be read: <METHOD DOES NOT EXIST>",
            id="licence-expiry-unreadable",
        ),
        pytest.param(
            {"FAKE_JAVA": "java-server: did not start <ZJAVA> no JVM\n"},
            "WARNING: the %Java Server did not start: EnsLib.Kafka.Service cannot connect"
            " (java-server: did not start <ZJAVA> no JVM)",
            id="java-server-down",
        ),
        pytest.param(
            {"JAVA_HOME": "/no-java-here"},
            "WARNING: no Java runtime at JAVA_HOME (/no-java-here): EnsLib.Kafka.Service cannot"
            " start (the other doors work)",
            id="no-java-runtime",
        ),
        pytest.param(
            {"FAKE_STOP_STATUS": "1"},
            "WARNING: IRIS did not stop cleanly at the end of the build; it recovers at its next"
            " start",
            id="unclean-stop-as-in-iops-ci",
        ),
    ],
)
def test_what_only_an_optional_item_needs_is_one_warning_kept_for_the_doctor(
    tmp_path: Path, env: dict[str, str], warning: str
) -> None:
    run, _, warnings = _build(tmp_path, **env)
    assert run.status == 0, run.output
    (kept,) = _warnings(warnings)
    assert kept.startswith(warning), kept
    assert kept in run.stdout.splitlines()
    assert run.stdout.splitlines()[-1] == "build: done, 1 warning(s)"


def test_a_key_without_an_expiry_date_is_said(tmp_path: Path) -> None:
    run, _, warnings = _build(tmp_path, FAKE_LICENCE="licence-expiry: none\n")
    assert run.status == 0, run.output
    assert "build: licence: the instance's key has no expiry date" in run.stdout.splitlines()
    assert _warnings(warnings) == []


def test_every_file_the_build_reads_is_in_the_image_when_it_runs() -> None:
    """Each path of the repository that build.sh names under the app folder is copied by a
    COPY before the Dockerfile's RUN of build.sh, into the folder build.sh takes by default."""
    instructions = iris_dockerfile()
    (workdir,) = [i.args for i in instructions if i.keyword == "WORKDIR"]
    assert f'app_dir="${{APP_DIR:-{workdir}}}"' in BUILD.read_text()
    (build,) = [
        number
        for number, i in enumerate(instructions)
        if i.keyword == "RUN" and i.args == f"bash {workdir}/misc/deploy/iris/build.sh"
    ]
    copied = [_copied(i.args) for i in instructions[:build] if i.keyword == "COPY"]
    read = set(re.findall(r"\$\{app_dir\}/([\w./-]+)", BUILD.read_text()))
    in_repository = {path.rstrip("/") for path in read if (ROOT / path).exists()}
    assert {"misc/deploy/iris", "src/python", "merge.cpf"} <= in_repository
    missing = [p for p in in_repository if not any(_under(p, c) for paths in copied for c in paths)]
    assert missing == []


def _copied(args: str) -> list[str]:
    """Where a COPY puts its sources, relative to the working folder."""
    *sources, destination = [word for word in args.split() if not word.startswith("--")]
    if destination.rstrip("/") in (".", ""):
        return [source.rstrip("/") for source in sources]
    return [destination.removeprefix("./").rstrip("/")]


def _under(path: str, copied: str) -> bool:
    return path == copied or path.startswith(copied + "/")


def test_the_build_stores_by_every_route_the_bp_sends_with_the_bps_own_message() -> None:
    """build.sh names each route's message class for `iop --test`; a route added to the BP
    (kafka_demo.bp.STORAGE_MESSAGES) and missing here would go unchecked by every build."""
    from kafka_demo.bp import STORAGE_MESSAGES

    text = BUILD.read_text(encoding="utf-8")
    declared = re.search(r"declare -A route_messages=\((.*?)\)", text, re.S)
    assert declared is not None
    in_build = dict(re.findall(r"\[(\w+)\]=(\S+)", declared.group(1)))
    looped = re.search(r"for route in ([\w ]+); do", text)
    assert looped is not None
    assert in_build == {
        route: f"{message.__module__}.{message.__qualname__}"
        for route, message in STORAGE_MESSAGES.items()
    }
    assert looped.group(1).split() == list(STORAGE_MESSAGES)
