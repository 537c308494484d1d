"""iris.script: every step it owns, and that a failed step ends the build."""

from kafka_demo.defaults import PRODUCTION_NAME
from tests.static.repo import iris_script_lines

TERMINATE = "do ##class(%SYSTEM.Process).Terminate(,1)"


def _line_with(fragment: str) -> int:
    for number, line in enumerate(iris_script_lines()):
        if fragment in line:
            return number
    raise AssertionError(f"iris.script has no line with {fragment!r}")


def test_without_an_error_trap_an_unchecked_error_would_not_end_the_session() -> None:
    first = iris_script_lines()[0]
    assert first.startswith("set $ETRAP=") and "Terminate(,1)" in first


def test_without_halt_the_session_never_returns_to_the_build() -> None:
    assert iris_script_lines()[-1] == "halt"


def test_every_check_ends_the_session_with_a_failure_status() -> None:
    checks = [line for line in iris_script_lines() if line.startswith("if ")]
    assert len(checks) >= 7
    for line in checks:
        assert TERMINATE in line, line


def test_without_unexpired_passwords_logins_fail_after_the_first_start() -> None:
    assert _line_with('UnExpireUserPasswords("*")') > _line_with('zn "%SYS"')


def test_without_the_final_password_step_iris_password_would_be_ignored() -> None:
    line = iris_script_lines()[_line_with('Security.Users).Modify("SuperUser"')]
    assert 'password\'="SYS"' in line
    assert _line_with('GetEnviron("IRISPASSWORD")') < _line_with("Security.Users).Modify")


def test_without_the_callin_check_a_failed_merge_goes_unnoticed() -> None:
    assert _line_with('Security.Services).Get("%Service_CallIn"') > 0


def test_without_the_flask_check_a_wrong_wsgi_app_goes_unnoticed() -> None:
    line = iris_script_lines()[_line_with('web("DispatchClass")')]
    for expected in (
        '"%SYS.Python.WSGI"',
        '"IRISAPP"',
        '"/irisdev/app/src/python"',
        'web("WSGIAppName")\'="app"',
        'web("WSGICallable")\'="app"',
    ):
        assert expected in line


def test_without_the_init_check_a_failed_iop_init_goes_unnoticed() -> None:
    assert _line_with('%ExistsId("IOP.Director")') > _line_with('zn "IRISAPP"')


def test_without_auto_start_the_production_does_not_run_after_a_container_start() -> None:
    name = PRODUCTION_NAME
    assert _line_with(f'%ExistsId("{name}")') < _line_with(f'SetAutoStart("{name}")')
    assert _line_with(f'SetAutoStart("{name}")') > _line_with('zn "IRISAPP"')
    assert _line_with(f'$get(^Ens.AutoStart)\'="{name}"') > _line_with("SetAutoStart")


def test_without_the_java_check_a_missing_jre_shows_only_at_run_time() -> None:
    assert _line_with('$system.external.startServer("%Java Server")') < _line_with(
        '$system.external.stopServer("%Java Server")'
    )


def test_the_done_marker_is_the_last_output() -> None:
    assert iris_script_lines()[-2] == 'write "iris.script: ","do"_"ne",!'
