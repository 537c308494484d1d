"""Every logger of the package is named by its module (`logging.getLogger(__name__)`), so a log
line names the module that wrote it; only other libraries' loggers are named by text (to set
their levels or filters)."""

import ast

from tests.static.repo import SRC_PYTHON


def _named_by_text(tree: ast.AST) -> list[str]:
    return [
        call.args[0].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "getLogger"
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and str(call.args[0].value).split(".")[0] == "kafka_demo"
    ]


def test_the_package_names_its_loggers_by_module() -> None:
    literal = {
        str(path.relative_to(SRC_PYTHON)): names
        for path in sorted((SRC_PYTHON / "kafka_demo").rglob("*.py"))
        if (names := _named_by_text(ast.parse(path.read_text(encoding="utf-8"))))
    }

    assert literal == {}
