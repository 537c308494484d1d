"""Every command of docs/docker.md (the README's Docker path), parsed by its own tool.

The page's code blocks are read from docs/docker.md: each bash block must parse
(`bash -n`), and each command in it is checked by the parser of the program it
calls (IoP's argparse parser, irissqlcli's click command, curl's URL and body
against the compose file's ports) or names a script of the repository. A command
of a kind this test does not know fails it, so a new command needs a check here
or in the live suite.
"""

import ast
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.e2e import stack
from tests.static.repo import ROOT, compose, service, text

PAGE = "docs/docker.md"
COMPOSE_SUBCOMMANDS = {"up", "ps", "stop", "down", "build", "logs", "exec", "restart"}


def _section() -> str:
    """The whole page: the README keeps only the quick start's `docker compose up -d`."""
    return text(PAGE)


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.DOTALL)


def _commands() -> list[list[str]]:
    commands = []
    for block in _blocks("bash"):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


def _with(*prefix: str) -> list[list[str]]:
    return [c for c in _commands() if c[: len(prefix)] == list(prefix)]


def test_the_section_has_bash_blocks_that_bash_parses() -> None:
    blocks = _blocks("bash")
    assert len(blocks) >= 5
    for block in blocks:
        subprocess.run(["bash", "-n"], input=block, text=True, check=True)


def test_every_command_is_of_a_kind_checked_here() -> None:
    known = ("docker", "curl", "./misc/deploy/doctor.sh", "./misc/scripts/run-e2e.sh")
    for command in _commands():
        assert command[0] in known, command


def test_docker_compose_commands_name_real_subcommands_and_services() -> None:
    services = set(compose()["services"])
    for command in _with("docker"):
        assert command[1] == "compose", command
        assert command[2] in COMPOSE_SUBCOMMANDS, command
        if command[2] == "exec":
            assert command[3] in services, command


def test_iop_commands_parse_with_iops_own_parser() -> None:
    from iop.cli.parser import create_parser

    commands = _with("docker", "compose", "exec", "iris", "iop")
    assert commands, "the section shows iop commands"
    for command in commands:
        args = create_parser().parse_args(command[5:])
        if args.test:
            assert args.test == "Python.KafkaDemoBO"
            assert json.loads(args.body) == {"name": "test", "price": 10}
        else:
            assert args.status or args.log == "50", command


def test_the_iop_test_command_is_the_one_the_live_suite_runs() -> None:
    (command,) = [c for c in _with("docker", "compose", "exec", "iris", "iop") if "--test" in c]
    live = stack.iop_test_command({"name": "test", "price": 10})
    assert [word for word in live if word != "-T"] == command


def test_irissqlcli_parses_an_iris_url_to_irisapp_on_the_local_superserver() -> None:
    from irissqlcli.main import cli
    from irissqlcli.utils import parse_uri

    (command,) = _with("docker", "compose", "exec", "iris", "irissqlcli")
    params = cli.make_context("irissqlcli", command[5:]).params
    assert params["execute"].startswith("SELECT TOP 20 id, name, price FROM SQLUser.product")
    host, port, namespace, user, password, embedded = parse_uri(params["uri"])
    assert (host, port, namespace, user, password, embedded) == (
        "localhost",
        1972,
        "IRISAPP",
        "SuperUser",
        "SYS",
        False,
    )


def _door_ports() -> dict[int, str]:
    ports = {}
    for name in ("iris", "standalone"):
        for mapping in service(name)["ports"]:
            host, _, container = str(mapping).partition(":")
            ports[int(host)] = f"{name}:{container}"
    return ports


def test_curl_commands_post_valid_json_to_published_door_ports() -> None:
    commands = _with("curl")
    assert len(commands) == 3
    ports = _door_ports()
    for command in commands:
        url = next(word for word in command if word.startswith("http://"))
        match = re.fullmatch(r"http://localhost:(\d+)(/flask)?/kafka", url)
        assert match, url
        assert int(match.group(1)) in ports, url
        assert command[command.index("-X") + 1] == "POST"
        assert json.loads(command[command.index("-d") + 1]) == {"name": "test", "price": 10}
        assert "Content-Type: application/json" in command
        if match.group(2):
            assert command[command.index("-u") + 1] == "SuperUser:SYS"
    live = {door.base_url.replace(stack.HOST, "localhost") + "/kafka" for door in stack.DOORS}
    assert {next(w for w in c if w.startswith("http://")) for c in commands} == live


def test_scripts_named_by_the_section_exist_and_are_executable() -> None:
    for command in _commands():
        if command[0].startswith("./"):
            script = ROOT / command[0]
            assert script.is_file() and script.stat().st_mode & 0o111, script


def test_the_section_ends_with_the_doctor() -> None:
    assert _commands()[-1] == ["./misc/deploy/doctor.sh"]


def test_the_python_block_parses_and_uses_the_live_suites_url() -> None:
    (block,) = _blocks("python")
    tree = ast.parse(block)
    urls = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and str(node.value).startswith("iris://")
    ]
    live = stack.engine_url().render_as_string(hide_password=False)
    assert urls == [live.replace(stack.HOST, "localhost")]


def test_only_the_confirmed_portal_home_url_is_linked() -> None:
    links = re.findall(r"http://localhost:53795/csp/[^\s>)]+", _section())
    assert links == ["http://localhost:53795/csp/sys/%25CSP.Portal.Home.zen?$NAMESPACE=IRISAPP"]


@pytest.mark.parametrize("name", ["IRIS_IMAGE", "KAFKA_IMAGE", "GUNICORN_WORKERS"])
def test_the_section_documents_the_compose_variables(name: str) -> None:
    assert f"`{name}" in _section()
    assert Path(ROOT / "misc/deploy/.env.example").read_text().count(f"\n{name}=") == 1


def test_the_section_says_what_an_expired_community_licence_looks_like_and_the_fix() -> None:
    section = " ".join(_section().split())
    assert "`Invalid Community Edition license, may have exceeded core limit`" in section
    assert "set `IRIS_IMAGE` in `.env` to a current tag" in section
    assert "`containers.intersystems.com/intersystems/iris-community:latest-em`" in section
    fix = re.search(r"`(docker compose build --pull iris && docker compose up -d)`", section)
    assert fix, "the fix names the rebuild"
    for command in fix.group(1).split(" && "):
        assert shlex.split(command)[2] in COMPOSE_SUBCOMMANDS, command
