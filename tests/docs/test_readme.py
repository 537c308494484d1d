"""The README's quick start and links: what a newcomer types first must work as written.

The README stays short enough to read in one sitting; the details live in docs/, and
every relative link between them reaches its file and heading.
"""

import re
import shlex
from importlib import import_module
from importlib.metadata import entry_points, metadata
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
SRC_PYTHON = ROOT / "src" / "python"
README_MAX_LINES = 300

# Backticked repository paths checked for existence: these folders, or a module path.
REPO_FOLDERS = ("src/", "misc/", "tests/", "docs/", ".github/", "kafka_demo/")
CHECKED_SUFFIXES = (".py", ".sh", ".md", ".yml", ".yaml", ".toml", ".txt", ".cpf", ".script")


def section(markdown: str, title: str) -> str:
    """The text under the level-2 heading `title`, up to the next level-2 heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no section '## {title}'"
    return match.group(1)


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```(?:bash|sh)\n(.*?)^```", markdown, re.M | re.S)


def commands(block: str) -> list[list[str]]:
    """Each shell command of a block (continuations joined, `&&` split) as its words."""
    joined = block.replace("\\\n", " ")
    found: list[list[str]] = []
    for line in joined.splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words:
                found.append(words)
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors a page offers: its headings' slugs and its `<a id="...">` targets."""
    without_code = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    headings = {slug(h) for h in re.findall(r"^#{1,6} (.+)$", without_code, re.M)}
    return headings | set(re.findall(r'<a id="([^"]+)"></a>', without_code))


def heading_anchors(page: Path) -> set[str]:
    return anchors(page.read_text(encoding="utf-8")) if page.is_file() else set()


def links(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", markdown)


def cli_parser():
    (script,) = entry_points(group="console_scripts", name="kafka-demo")
    return import_module(script.module).build_parser()


def quick_start() -> str:
    return section(README.read_text(encoding="utf-8"), "Quick start")


def quick_start_commands() -> list[list[str]]:
    return [words for block in code_blocks(quick_start()) for words in commands(block)]


def test_quick_start_opens_the_readme_with_local_mode_before_docker() -> None:
    text = README.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[:2] == ["Quick start", "Contents"]
    programs = [Path(words[0]).name for words in quick_start_commands()]
    assert programs.index("kafka-demo") < programs.index("docker")


def test_quick_start_installs_an_extra_the_project_declares() -> None:
    installs = [words for words in quick_start_commands() if Path(words[0]).name == "pip"]
    assert installs, "the quick start installs nothing"
    (target,) = [w for w in installs[0][1:] if not w.startswith("-") and w != "install"]
    extra = re.fullmatch(r"\.\[(\w+)\]", target)
    assert extra, f"expected .[extra], got {target!r}"
    assert extra.group(1) in metadata("iris-kafka-demo").get_all("Provides-Extra")


def test_quick_start_kafka_demo_commands_are_accepted_by_the_cli() -> None:
    runs = [words[1:] for words in quick_start_commands() if Path(words[0]).name == "kafka-demo"]
    assert runs and runs[0][0] == "local"
    parser = cli_parser()
    for arguments in runs:
        parser.parse_args(arguments)  # argparse exits (SystemExit) on what it does not accept


def test_quick_start_curl_reaches_the_local_modes_default_port() -> None:
    local = cli_parser().parse_args(["local"])
    (curl,) = [words for words in quick_start_commands() if words[0] == "curl"]
    (url,) = [w for w in curl if w.startswith("http")]
    assert urlsplit(url).port == local.port
    assert urlsplit(url).path == "/kafka"
    assert curl[curl.index("-X") + 1] == "POST"


def test_quick_start_points_to_the_message_viewer_page_of_the_local_mode() -> None:
    local = cli_parser().parse_args(["local"])
    pages = re.findall(r"<(http://[^>]+/messages)>", quick_start())
    assert pages, "the quick start names the /messages page"
    places = {(urlsplit(url).port, urlsplit(url).path) for url in pages}
    assert places == {(local.port, "/messages")}


def test_quick_start_docker_command_uses_the_compose_file() -> None:
    dockers = [words for words in quick_start_commands() if words[0] == "docker"]
    assert dockers == [["docker", "compose", "up", "-d"]]
    assert (ROOT / "docker-compose.yml").is_file()


def test_contents_link_every_level_two_section() -> None:
    text = README.read_text(encoding="utf-8")
    listed = re.findall(r"\]\(#([^)]+)\)", section(text, "Contents"))
    sections = [slug(h) for h in re.findall(r"^## (.+)$", text, re.M)]
    assert listed == [s for s in sections if s not in ("quick-start", "contents")]


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_links_resolve_to_headings_and_files(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for link in links(text):
        if urlsplit(link).scheme:
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists() or (anchor and anchor not in heading_anchors(target)):
            broken.append(link)
    assert not broken, f"{page.name}: links to nothing: {broken}"


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_named_repository_files_exist(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    named = {
        token.removeprefix("./")
        for token in re.findall(r"`([\w./-]+)`", text)
        if token.removeprefix("./").startswith(REPO_FOLDERS)
        and (token.endswith(CHECKED_SUFFIXES) or token.endswith("/"))
    }
    missing = [
        name
        for name in sorted(named)
        if not (ROOT / name).exists() and not (SRC_PYTHON / name).exists()
    ]
    assert not missing, f"{page.name} names files that are not in the repository: {missing}"


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_cited_documents_exist(page: Path) -> None:
    """A document cited by its upper-case name (README.md, DESIGN.md) is in the repository."""
    text = page.read_text(encoding="utf-8")
    documents = set(re.findall(r"\b([A-Z][A-Z_-]*\.md)\b", text))
    known = {p.name for p in ROOT.rglob("*.md") if ".venv" not in p.parts}
    assert documents <= known, f"{page.name} cites documents that are not here: {documents - known}"


def test_the_readme_is_read_in_one_sitting() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move details to docs/"


def test_every_page_of_docs_is_linked_from_the_readme() -> None:
    linked = {
        (ROOT / path).resolve()
        for path in (link.partition("#")[0] for link in links(README.read_text(encoding="utf-8")))
        if path
    }
    assert [page.name for page in DOCS if page.resolve() not in linked] == []


def test_ci_runs_the_readmes_test_command() -> None:
    """.ci/run runs exactly the command the README's Tests section gives."""
    (block,) = code_blocks(section(README.read_text(encoding="utf-8"), "Tests"))
    (command,) = commands(block)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    runs = [line.split() for line in ci.splitlines() if line and not line.startswith("#")]
    assert ["exec", *command] in runs, f".ci/run does not run {command}"
