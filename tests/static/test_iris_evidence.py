"""docs/iris-evidence.md: every citation of it in the project names one of its rows."""

import re
import subprocess

from tests.static.repo import ROOT, text

EVIDENCE = "docs/iris-evidence.md"
CITATION = re.compile(r"docs/iris-evidence\.md#([A-Za-z0-9_-]+)")


def _project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [name for name in listed if (ROOT / name).is_file()]


def _read(name: str) -> str:
    try:
        return (ROOT / name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""


def _rows() -> set[str]:
    return set(re.findall(r'<a id="([A-Za-z0-9_-]+)"></a>', text(EVIDENCE)))


def test_the_rows_have_unique_anchors() -> None:
    anchors = re.findall(r'<a id="([A-Za-z0-9_-]+)"></a>', text(EVIDENCE))
    assert len(anchors) == len(set(anchors))
    assert {"python-in-iris", "licence-expiry", "connections", "workflow-pipefail"} <= set(anchors)


def test_every_citation_names_a_row_of_the_evidence_document() -> None:
    rows = _rows()
    cited = {
        (name, anchor) for name in _project_files() for anchor in CITATION.findall(_read(name))
    }
    assert {anchor for _, anchor in cited} >= {"python-in-iris", "kafka-java-server"}
    assert sorted((name, anchor) for name, anchor in cited if anchor not in rows) == []


def test_no_file_cites_an_evidence_document_outside_the_repository() -> None:
    stale = re.compile(r"IRIS-EVIDENCE|\(row \d+[a-z]?\)|\.\./shared")
    found = [
        name
        for name in _project_files()
        if name != "tests/static/test_iris_evidence.py" and stale.search(_read(name))
    ]
    assert found == []


def test_the_docker_page_gives_the_licence_date_next_to_the_image_override() -> None:
    page = text("docs/docker.md")
    override = page[page.index("- **IRIS image**: `IRIS_IMAGE`") :]
    override = override[: override.index("\n- **")]
    assert "2026.1.0.234" in override
    assert "spring 2027" in override
    # docs/docker.md sits beside the evidence document, so the link is relative to docs/.
    assert f"]({EVIDENCE.removeprefix('docs/')}#licence-expiry)" in override
