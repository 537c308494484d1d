"""merge.cpf: namespace, callin, demo user and the WSGI application /flask."""

import ast

from tests.static.repo import APP_DIR, SRC_PYTHON, iris_dockerfile, merge_actions, web_application


def test_merge_cpf_creates_two_databases_each_with_its_resource() -> None:
    databases = {d["Name"]: d for d in merge_actions()["CreateDatabase"]}
    assert set(databases) == {"IRISAPP_DATA", "IRISAPP_CODE"}
    resources = {r["Name"] for r in merge_actions()["CreateResource"]}
    assert {d["Resource"] for d in databases.values()} == resources


def test_merge_cpf_creates_irisapp_with_interop_on_both_databases() -> None:
    (namespace,) = merge_actions()["CreateNamespace"]
    assert namespace == {
        "Name": "IRISAPP",
        "Globals": "IRISAPP_DATA",
        "Routines": "IRISAPP_CODE",
        "Interop": "1",
    }


def test_merge_cpf_enables_the_callin_service() -> None:
    (callin,) = merge_actions()["ModifyService"]
    assert callin["Name"] == "%Service_CallIn"
    assert callin["Enabled"] == "1"


def test_merge_cpf_sets_a_superuser_password_hash_that_does_not_expire() -> None:
    (user,) = merge_actions()["ModifyUser"]
    assert user["Name"] == "SuperUser"
    assert user["ChangePassword"] == "0"
    assert user["PasswordHash"].endswith(",10000,SHA512")


def test_merge_cpf_flask_has_the_wsgi_dispatch_class_irisapp_and_password_login() -> None:
    app = web_application("/flask")
    assert app["DispatchClass"] == "%SYS.Python.WSGI"
    assert app["NameSpace"] == "IRISAPP"
    assert app["AutheEnabled"] == "32"


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
