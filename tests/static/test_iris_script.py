"""iris.script, misc/deploy/iris/check-merge.script and check-java.script, read line by line.

These run inside IRIS only; the tests check that they print what misc/deploy/iris/build.sh
reads, and that they check what merge.cpf and the production define. How build.sh reacts
to their output is tested against stand-ins in test_build_script.py.
"""

import re

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


def _written(line: str) -> str:
    """What the `write` commands of an ObjectScript line print, string literals joined by `_`
    and `!` for a new line; anything else (a variable) as <value>."""
    printed = []
    for arguments in re.findall(r'\bwrite ((?:"[^"]*"|[^\s"])+)', line):
        for term in re.findall(r'"[^"]*"|!|[^,_"!]+', arguments):
            printed.append(
                term[1:-1] if term.startswith('"') else "\n" if term == "!" else "<value>"
            )
    return "".join(printed)


def _awaited() -> dict[str, str]:
    """The scripts build.sh runs with the line it waits for: run_checked_session's marker, and
    the %Java Server's ok line."""
    build = text("misc/deploy/iris/build.sh").replace("\\\n", " ")
    checked = re.findall(r'run_checked_session "\$\{app_dir\}/(\S+)" "%SYS"\s+"([^"]+)"', build)
    (java_ok,) = re.findall(r'grep -qF "(java-server: [^"]+)"', build)
    return {**dict(checked), "misc/deploy/iris/check-java.script": java_ok}


def test_each_script_prints_the_line_build_sh_waits_for_without_holding_its_text() -> None:
    """The line is split in the source: an echoed command must not pass for its output."""
    awaited = _awaited()
    assert set(awaited) == {
        "iris.script",
        "misc/deploy/iris/check-merge.script",
        "misc/deploy/iris/check-java.script",
    }
    for path, line in awaited.items():
        assert line not in text(path), path
        assert [_written(one) for one in _lines(path) if line in _written(one)], path


def test_every_checked_script_ends_with_its_marker_then_halt_and_fails_before_it() -> None:
    for path, marker in _awaited().items():
        if path.endswith("check-java.script"):
            continue
        lines = _lines(path)
        assert _written(lines[-2]) == marker + "\n", path
        assert lines[-1] == "halt", path
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


def test_iris_script_checks_iop_director_and_the_production_class_in_irisapp() -> None:
    assert _line_with('%ExistsId("IOP.Director")') > _line_with('zn "IRISAPP"')
    assert _line_with(f'%ExistsId("{PRODUCTION_NAME}")') > _line_with('zn "IRISAPP"')


def test_iris_script_sets_auto_start_after_the_class_check_and_reads_it_back() -> None:
    name = PRODUCTION_NAME
    assert _line_with(f'%ExistsId("{name}")') < _line_with(f'SetAutoStart("{name}")')
    assert _line_with(f'$get(^Ens.AutoStart)\'="{name}"') > _line_with("SetAutoStart")
