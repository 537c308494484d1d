"""iris.script, misc/deploy/iris/check-merge.script and check-java.script, read line by line.

These run inside IRIS only; the tests check which lines they hold and in what order.
How misc/deploy/iris/build.sh reacts to their output is tested against stand-ins in
test_build_script.py.
"""

from kafka_demo.defaults import PRODUCTION_NAME
from tests.static.repo import iris_script_lines, merge_actions, text, web_application

TERMINATE = "do ##class(%SYSTEM.Process).Terminate(,1)"


def _lines(path: str) -> list[str]:
    lines = [line.strip() for line in text(path).splitlines()]
    return [line for line in lines if line and not line.startswith(("//", ";"))]


def _line_with(fragment: str, lines: list[str] | None = None) -> int:
    lines = iris_script_lines() if lines is None else lines
    for number, line in enumerate(lines):
        if fragment in line:
            return number
    raise AssertionError(f"no line with {fragment!r}")


def test_iris_script_first_line_sets_an_error_trap_that_terminates() -> None:
    first = iris_script_lines()[0]
    assert first.startswith("set $ETRAP=") and "Terminate(,1)" in first


def test_every_checked_script_ends_with_its_marker_then_halt() -> None:
    for path, marker in (
        ("iris.script", 'write "iris.script: ","do"_"ne",!'),
        ("misc/deploy/iris/check-merge.script", 'write "check-merge: ","do"_"ne",!'),
    ):
        lines = _lines(path)
        assert lines[-2:] == [marker, "halt"], path
        # The failure count ends the session before the marker.
        assert lines[-3].startswith("if failures {") and TERMINATE in lines[-3], path


def test_every_failed_check_writes_one_error_line_and_counts_it() -> None:
    for path in ("iris.script", "misc/deploy/iris/check-merge.script"):
        checks = [line for line in _lines(path) if line.startswith("if ") and "ERROR: " in line]
        assert checks, path
        for line in checks:
            assert "set failures=failures+1" in line, line
            assert line.count('write "ERROR: ') == 1, line


def test_check_merge_names_the_namespace_both_databases_and_interop() -> None:
    lines = _lines("misc/deploy/iris/check-merge.script")
    (namespace,) = merge_actions()["CreateNamespace"]
    assert _line_with(f'Config.Namespaces).Exists("{namespace["Name"]}")', lines) >= 0
    for database in merge_actions()["CreateDatabase"]:
        assert _line_with(f'Config.Databases).Exists("{database["Name"]}")', lines) >= 0
    assert _line_with(f'IsEnsembleNamespace("{namespace["Name"]}")', lines) >= 0


def test_check_merge_compares_callin_and_each_flask_property_with_merge_cpf() -> None:
    lines = _lines("misc/deploy/iris/check-merge.script")
    assert 'callin("Enabled")' in lines[_line_with('"%Service_CallIn"', lines) + 1]
    app = web_application("/flask")
    for key in ("DispatchClass", "NameSpace", "WSGIAppName", "WSGICallable"):
        line = lines[_line_with(f'web("{key}"))\'="', lines)]
        assert f'\'="{app[key]}"' in line, key
    location = lines[_line_with('web("WSGIAppLocation")', lines)]
    assert f'\'="{app["WSGIAppLocation"].rstrip("/")}"' in location


def test_iris_script_unexpires_passwords_in_sys() -> None:
    assert _line_with('UnExpireUserPasswords("*")') > _line_with('zn "%SYS"')


def test_iris_script_sets_the_password_from_irispassword_only_when_not_sys() -> None:
    line = iris_script_lines()[_line_with('Security.Users).Modify("SuperUser"')]
    assert 'password\'="SYS"' in line
    assert _line_with('GetEnviron("IRISPASSWORD")') < _line_with("Security.Users).Modify")


def test_iris_script_checks_iop_director_and_the_production_class_in_irisapp() -> None:
    assert _line_with('%ExistsId("IOP.Director")') > _line_with('zn "IRISAPP"')
    assert _line_with(f'%ExistsId("{PRODUCTION_NAME}")') > _line_with('zn "IRISAPP"')


def test_iris_script_sets_auto_start_after_the_class_check_and_reads_it_back() -> None:
    name = PRODUCTION_NAME
    assert _line_with(f'%ExistsId("{name}")') < _line_with(f'SetAutoStart("{name}")')
    assert _line_with(f'$get(^Ens.AutoStart)\'="{name}"') > _line_with("SetAutoStart")


def test_check_java_starts_then_stops_the_java_server_and_writes_ok_only_on_success() -> None:
    lines = _lines("misc/deploy/iris/check-java.script")
    start = _line_with('$system.external.startServer("%Java Server")', lines)
    assert lines[start].startswith("try {") and "catch" in lines[start]
    ok = lines[_line_with('"java-server: ","o"_"k"', lines)]
    assert ok.startswith("if started {")
    assert '$system.external.stopServer("%Java Server")' in ok
    assert TERMINATE not in text("misc/deploy/iris/check-java.script")
