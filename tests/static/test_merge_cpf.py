"""merge.cpf agrees with what uses it: the namespace the doors log into, the folder the image
copies src/python to, the WSGI module and callable of src/python."""

import ast

from tests.static.repo import (
    APP_DIR,
    SRC_PYTHON,
    iris_dockerfile,
    merge_actions,
    service,
    web_application,
)


def test_merge_cpf_creates_two_databases_each_with_its_resource() -> None:
    databases = {d["Name"]: d for d in merge_actions()["CreateDatabase"]}
    resources = {r["Name"] for r in merge_actions()["CreateResource"]}
    assert {d["Resource"] for d in databases.values()} == resources


def test_merge_cpf_creates_the_namespace_the_doors_log_into_on_its_own_databases() -> None:
    (namespace,) = merge_actions()["CreateNamespace"]
    databases = {d["Name"] for d in merge_actions()["CreateDatabase"]}
    assert {namespace["Globals"], namespace["Routines"]} == databases
    assert namespace["Interop"] == "1"
    native_login = service("standalone")["environment"]["IRIS_NAMESPACE"]
    assert native_login == f"${{IRIS_NAMESPACE:-{namespace['Name']}}}"
    assert web_application("/flask")["NameSpace"] == namespace["Name"]


def test_merge_cpf_flask_location_is_the_dockerfile_copy_target_of_src_python() -> None:
    location = web_application("/flask")["WSGIAppLocation"]
    assert location == f"{APP_DIR}/src/python/"
    copies = [i.args.split() for i in iris_dockerfile() if i.keyword == "COPY"]
    assert [
        "--chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP}",
        "src/python/",
        "./src/python/",
    ] in copies


def test_merge_cpf_flask_app_name_and_callable_exist_in_src_python() -> None:
    app = web_application("/flask")
    module = SRC_PYTHON / f"{app['WSGIAppName']}.py"
    assert module.is_file(), f"{module} does not exist"
    tree = ast.parse(module.read_text(encoding="utf-8"))
    assert app["WSGICallable"] in _module_level_names(tree)


def _module_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names
