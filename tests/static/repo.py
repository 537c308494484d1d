"""Readers for the deployment files that the static tests check."""

import importlib.util
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SRC_PYTHON = ROOT / "src" / "python"
APP_DIR = "/irisdev/app"
IRIS_DEPLOY = ROOT / "misc" / "deploy" / "iris"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    comments: tuple[str, ...]


def text(relative: str) -> str:
    return (ROOT / relative).read_text(encoding="utf-8")


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(text("docker-compose.yml"))


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


def dockerfile(relative: str) -> list[Instruction]:
    """Instructions with continuation lines joined, each with the comments just above it."""
    instructions: list[Instruction] = []
    comments: list[str] = []
    pending = ""
    for line in text(relative).splitlines():
        stripped = line.strip()
        if not pending and stripped.startswith("#"):
            comments.append(stripped.lstrip("#").strip())
            continue
        if not stripped and not pending:
            comments = []
            continue
        pending += " " + stripped.removesuffix("\\").strip()
        if stripped.endswith("\\"):
            continue
        keyword, _, args = pending.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), tuple(comments)))
        pending, comments = "", []
    return instructions


def iris_dockerfile() -> list[Instruction]:
    return dockerfile("Dockerfile")


def runs(instructions: list[Instruction]) -> list[str]:
    return [i.args for i in instructions if i.keyword == "RUN"]


def build_run(instructions: list[Instruction]) -> str:
    """The RUN step that starts IRIS and bakes the production into the image."""
    (step,) = [r for r in runs(instructions) if r.startswith("iris start")]
    return step


def chain(step: str) -> list[str]:
    """The commands of a `a && b && c` RUN step, in order."""
    return [part.strip() for part in step.split("&&")]


def index_of(commands: list[str], pattern: str) -> int:
    for number, command in enumerate(commands):
        if re.search(pattern, command):
            return number
    raise AssertionError(f"no command matches {pattern!r} in {commands}")


def merge_actions() -> dict[str, list[dict[str, str]]]:
    """merge.cpf [Actions]: action name -> list of its Key=Value maps."""
    actions: dict[str, list[dict[str, str]]] = {}
    lines = text("merge.cpf").splitlines()
    assert lines[0].strip() == "[Actions]"
    for line in lines[1:]:
        if not line.strip():
            continue
        action, _, rest = line.partition(":")
        fields = dict(field.split("=", 1) for field in _split_fields(rest))
        actions.setdefault(action.strip(), []).append(fields)
    return actions


def _split_fields(rest: str) -> list[str]:
    # Commas inside a quoted value (Description="...") do not split; a password
    # hash (PasswordHash=a,b,c,SHA512) keeps its commas too.
    fields: list[str] = []
    for part in re.findall(r'(?:[^,"]|"[^"]*")+', rest):
        if "=" in part or not fields:
            fields.append(part)
        else:
            fields[-1] += "," + part
    return fields


def web_application(name: str) -> dict[str, str]:
    (app,) = [a for a in merge_actions()["CreateApplication"] if a["Name"] == name]
    return app


def iris_script_lines() -> list[str]:
    """iris.script commands, comments dropped."""
    lines = [line.strip() for line in text("iris.script").splitlines()]
    return [line for line in lines if line and not line.startswith(("//", ";"))]


def load_deploy_script(name: str) -> ModuleType:
    """misc/deploy/iris/<name>.py as a fresh module, imported as Python runs it as a script:
    with its own folder first on sys.path, where it finds the modules beside it."""
    folder = str(IRIS_DEPLOY)
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(name, IRIS_DEPLOY / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(folder)
